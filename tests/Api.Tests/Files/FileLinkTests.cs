using System.Net;
using System.Text;
using Conpaas.Api.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Api.Tests.Files;

/// <summary>fileLink: a URL that anyone may use once, before it expires.</summary>
public sealed class FileLinkTests(FilesApp app) : IClassFixture<FilesApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<string> Link(GraphQLClient owner, string fileId, int ttlSeconds)
    {
        var url = (await owner.Ok("mutation($id: ID!, $t: Int!) { fileLink(id: $id, ttlSeconds: $t) }", new { id = fileId, t = ttlSeconds }))["fileLink"]!
            .GetValue<string>();
        Assert.StartsWith("http://127.0.0.1:5555/files/links/", url);
        // Director:Url names the default port; the test host listens elsewhere.
        return new Uri(url).PathAndQuery;
    }

    [Fact]
    public async Task a_link_serves_the_file_once_without_credentials_then_is_gone()
    {
        var ann = await app.NewUser();
        var bytes = Encoding.UTF8.GetBytes("#!/bin/sh\necho hello\n");
        var file = (await ann.Upload(bytes))["id"]!.GetValue<string>();
        var link = await Link(ann, file, 600);
        var stranger = app.Client().Http;

        using var first = await stranger.GetAsync(link, Ct);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(bytes, await first.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal(Uploads.Sha256(bytes), first.Headers.GetValues("X-Content-SHA256").Single());

        using var again = await stranger.GetAsync(link, Ct);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Contains("NOT_FOUND", await again.Content.ReadAsStringAsync(Ct));

        // Another link to the same file is another secret.
        Assert.NotEqual(link, await Link(ann, file, 600));
        using var guessed = await stranger.GetAsync("/files/links/" + new string('A', 43), Ct);
        Assert.Equal(HttpStatusCode.NotFound, guessed.StatusCode);
    }

    [Fact]
    public async Task an_expired_link_answers_gone_and_then_not_found()
    {
        var ann = await app.NewUser();
        var file = (await ann.Upload([7, 7, 7]))["id"]!.GetValue<string>();
        var link = await Link(ann, file, 60);

        app.Clock.Advance(TimeSpan.FromSeconds(61));
        using var expired = await app.Client().Http.GetAsync(link, Ct);
        Assert.Equal(HttpStatusCode.Gone, expired.StatusCode);
        using var again = await app.Client().Http.GetAsync(link, Ct);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task a_link_lifetime_out_of_range_is_invalid_input()
    {
        var ann = await app.NewUser();
        var file = (await ann.Upload([1]))["id"]!.GetValue<string>();
        foreach (var ttl in new[] { 0, -5, 86_401 })
        {
            var error = await ann.Fails("INVALID_INPUT", "mutation($id: ID!, $t: Int!) { fileLink(id: $id, ttlSeconds: $t) }", new { id = file, t = ttl });
            Assert.Equal("ttlSeconds", error["extensions"]!["field"]!.GetValue<string>());
        }
    }
}

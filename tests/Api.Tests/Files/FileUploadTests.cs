using Stopwatch = System.Diagnostics.Stopwatch;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Conpaas.Api.Tests.BadInput;
using Conpaas.Api.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Api.Tests.Files;

/// <summary>uploadFile over the GraphQL multipart request spec, files, GET /files/{id} and deleteFile, with a real HTTP client.</summary>
public sealed class FileUploadTests(FilesApp app) : IClassFixture<FilesApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task an_uploaded_file_is_listed_and_read_back_by_its_owner_as_sent()
    {
        var ann = await app.NewUser();
        var bytes = Uploads.RandomBytes(200_000);

        var file = await ann.Upload(bytes, "C:\\fakepath\\start.sh");

        Assert.Equal("start.sh", file["name"]!.GetValue<string>());
        Assert.Equal(bytes.Length, file["size"]!.GetValue<long>());
        Assert.Equal(Uploads.Sha256(bytes), file["sha256"]!.GetValue<string>());
        var listed = (await ann.Ok("{ files { files { id name size sha256 uploadedAt } nextCursor } }"))["files"]!;
        Assert.Equal(file["id"]!.GetValue<string>(), Assert.Single(listed["files"]!.AsArray())!["id"]!.GetValue<string>());

        using var read = new HttpRequestMessage(HttpMethod.Get, $"/files/{file["id"]}");
        read.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ann.Token);
        using var response = await ann.Http.SendAsync(read, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal(Uploads.Sha256(bytes), response.Headers.GetValues("X-Content-SHA256").Single());
    }

    [Fact]
    public async Task the_same_content_uploaded_twice_is_stored_once_and_goes_with_the_last_file_that_has_it()
    {
        var ann = await app.NewUser();
        var bytes = Uploads.RandomBytes(1000);
        var first = await ann.Upload(bytes, "a.tar.gz");
        var second = await ann.Upload(bytes, "b.tar.gz", name: "release 2");

        Assert.NotEqual(first["id"]!.GetValue<string>(), second["id"]!.GetValue<string>());
        Assert.Equal("release 2", second["name"]!.GetValue<string>());
        var sha = Uploads.Sha256(bytes);
        Assert.Single(app.StoredFiles(), f => f.EndsWith(sha, StringComparison.Ordinal));
        var stored = Directory.EnumerateFiles(app.Folder, sha, SearchOption.AllDirectories).Single();
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(stored));

        await ann.Ok("mutation($id: ID!) { deleteFile(id: $id) }", new { id = first["id"]!.GetValue<string>() });
        Assert.True(File.Exists(stored));
        await ann.Ok("mutation($id: ID!) { deleteFile(id: $id) }", new { id = second["id"]!.GetValue<string>() });
        Assert.False(File.Exists(stored));
        Assert.Empty((await ann.Ok("{ files { files { id } } }"))["files"]!["files"]!.AsArray());
    }

    [Fact]
    public async Task files_are_listed_in_pages()
    {
        var ann = await app.NewUser();
        for (var i = 0; i < 3; i++) await ann.Upload(Encoding.UTF8.GetBytes("file " + i), $"f{i}");

        var page1 = (await ann.Ok("{ files(first: 2) { files { name } nextCursor } }"))["files"]!;
        Assert.Equal(["f0", "f1"], page1["files"]!.AsArray().Select(f => f!["name"]!.GetValue<string>()));
        var page2 = (await ann.Ok("query($a: String) { files(first: 2, after: $a) { files { name } nextCursor } }",
            new { a = page1["nextCursor"]!.GetValue<string>() }))["files"]!;
        Assert.Equal(["f2"], page2["files"]!.AsArray().Select(f => f!["name"]!.GetValue<string>()));
        Assert.Null(page2["nextCursor"]);
        await ann.Fails("INVALID_INPUT", "{ files(first: 0) { nextCursor } }");
    }

    [Fact]
    public async Task another_users_file_is_not_found_whatever_is_asked()
    {
        var ann = await app.NewUser();
        var bob = await app.NewUser();
        var file = (await ann.Upload(Encoding.UTF8.GetBytes("ann's secret")))["id"]!.GetValue<string>();

        using var read = new HttpRequestMessage(HttpMethod.Get, $"/files/{file}");
        read.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bob.Token);
        using var response = await bob.Http.SendAsync(read, Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("secret", await response.Content.ReadAsStringAsync(Ct));
        using var anonymous = await app.Client().Http.GetAsync($"/files/{file}", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        await bob.RefusedAndNothingAppended(app, "NOT_FOUND", "mutation($id: ID!) { deleteFile(id: $id) }", new { id = file });
        await bob.Fails("NOT_FOUND", "mutation($id: ID!) { fileLink(id: $id, ttlSeconds: 60) }", new { id = file });
        Assert.Empty((await bob.Ok("{ files { files { id } } }"))["files"]!["files"]!.AsArray());
        // Still there for its owner.
        Assert.Single((await ann.Ok("{ files { files { id } } }"))["files"]!["files"]!.AsArray());
    }

    [Fact]
    public async Task an_upload_over_the_quota_is_refused_with_quota_exceeded_and_stores_nothing()
    {
        var ann = await app.NewUser();
        for (var i = 0; i < 3; i++) await ann.Upload(Uploads.RandomBytes((int)FilesApp.MaxBytes - 10));
        var before = app.StoredFiles();
        var head = await EventLog.Head(app);

        var response = await ann.Send(Uploads.Multipart(new ByteArrayContent(Uploads.RandomBytes(100))));

        Assert.Equal("QUOTA_EXCEEDED", response.Errors![0]!["extensions"]!["code"]!.GetValue<string>());
        Assert.Contains("Files:QuotaBytes", response.Errors![0]!["message"]!.GetValue<string>());
        Assert.Equal(before, app.StoredFiles());
        Assert.Equal(head, await EventLog.Head(app));
        // Content already stored costs nothing: uploading it again is still allowed.
        var listed = (await ann.Ok("{ files { files { id } } }"))["files"]!["files"]!.AsArray();
        Assert.Equal(3, listed.Count);
    }

    [Fact]
    public async Task a_part_bigger_than_the_limit_is_refused_fast_without_storing_anything()
    {
        var ann = await app.NewUser();
        var head = await EventLog.Head(app);
        var before = app.StoredFiles();

        // With a Content-Length: refused before the body is read.
        var watch = Stopwatch.StartNew();
        var sized = await ann.Send(Uploads.Multipart(new ByteArrayContent(new byte[20 * FilesApp.MaxBytes])));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
        Assert.Equal(413, sized.Status);
        Assert.Equal("INVALID_INPUT", sized.Errors![0]!["extensions"]!["code"]!.GetValue<string>());
        Assert.Contains("Files:MaxBytes", sized.Errors![0]!["message"]!.GetValue<string>());

        // Chunked (no length known ahead): refused once the part passes the limit.
        var chunked = await ann.Send(Uploads.Multipart(new StreamContent(new UnseekableZeros(FilesApp.MaxBytes + 1))));
        Assert.Equal(413, chunked.Status);

        Assert.Equal(before, app.StoredFiles());
        Assert.Equal(head, await EventLog.Head(app));
    }

    [Fact]
    public async Task hostile_multipart_bodies_are_refused_as_invalid_input_and_store_nothing()
    {
        var ann = await app.NewUser();
        var head = await EventLog.Head(app);
        var before = app.StoredFiles();
        byte[] bytes = [1, 2, 3];

        async Task Refused(HttpContent body, string says)
        {
            var response = await ann.Send(body);
            Assert.Equal(400, response.Status);
            Assert.Equal("INVALID_INPUT", response.Errors![0]!["extensions"]!["code"]!.GetValue<string>());
            Assert.Contains(says, response.Errors![0]!["message"]!.GetValue<string>());
        }

        await Refused(Uploads.Multipart(new ByteArrayContent(bytes), withMap: false), "'map' is missing");
        await Refused(Uploads.Multipart(new ByteArrayContent(bytes), map: """{"0": ["variables.file"], "1": ["variables.name"]}"""),
            "The file part '1' that 'map' names is missing");
        await Refused(Uploads.Multipart(new ByteArrayContent(bytes), map: """{"0": ["variables.nothing"]}"""), "does not name a null");
        await Refused(Uploads.Multipart(new ByteArrayContent(bytes), map: """{"0": ["query"]}"""), "does not name a null");
        await Refused(Uploads.Multipart(new ByteArrayContent(bytes), map: "[1]"), "'map' must be a JSON object");
        await Refused(Uploads.Multipart(new ByteArrayContent(bytes), map: "{"), "Malformed JSON in 'map'");
        await Refused(new MultipartFormDataContent { { new ByteArrayContent(bytes), "0", "x" } }, "'operations' is missing");
        using var noBoundary = new ByteArrayContent(bytes);
        noBoundary.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data");
        await Refused(noBoundary, "boundary");

        // An Upload that is not a file part (a JSON request's string) is an invalid variable.
        await ann.Fails("INVALID_INPUT", Uploads.UploadMutation, new { file = "/etc/passwd" });

        Assert.Equal(before, app.StoredFiles());
        Assert.Equal(head, await EventLog.Head(app));
    }

    [Fact]
    public async Task an_anonymous_upload_is_refused_before_any_file_is_read()
    {
        var head = await EventLog.Head(app);
        var response = await app.Client().Send(Uploads.Multipart(new ByteArrayContent(new byte[1000])));
        Assert.Equal(401, response.Status);
        Assert.Equal("UNAUTHENTICATED", response.Errors![0]!["extensions"]!["code"]!.GetValue<string>());
        Assert.Equal(head, await EventLog.Head(app));
        Assert.DoesNotContain(app.StoredFiles(), f => f.StartsWith(".incoming/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task a_cookie_signed_upload_needs_the_csrf_header_like_any_other_post()
    {
        var ann = await app.NewUser();
        using var signIn = await ann.Http.PostAsync("/session", JsonContent(new { username = ann.Username, password = "password-" + ann.Username }, csrf: true), Ct);
        var cookie = signIn.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        var anonymous = app.Client();
        var head = await EventLog.Head(app);

        // multipart/form-data is a "simple" content type: another site's form could send it without a preflight.
        var forged = await anonymous.Send(Uploads.Multipart(new ByteArrayContent([1, 2, 3])), r => r.Headers.Add("Cookie", cookie));
        Assert.Equal(403, forged.Status);
        Assert.Equal("FORBIDDEN", forged.Errors![0]!["extensions"]!["code"]!.GetValue<string>());
        Assert.Equal(head, await EventLog.Head(app));

        var sent = await anonymous.Send(Uploads.Multipart(new ByteArrayContent([1, 2, 3])), r =>
        {
            r.Headers.Add("Cookie", cookie);
            r.Headers.Add("X-Conpaas-Csrf", "1");
        });
        Assert.True(sent.Errors is null, sent.Body.ToJsonString());
        // The dashboard reads its files with the cookie.
        using var read = new HttpRequestMessage(HttpMethod.Get, $"/files/{sent.Data!["uploadFile"]!["id"]}");
        read.Headers.Add("Cookie", cookie);
        using var response = await anonymous.Http.SendAsync(read, Ct);
        Assert.Equal(new byte[] { 1, 2, 3 }, await response.Content.ReadAsByteArrayAsync(Ct));
    }

    private static StringContent JsonContent(object value, bool csrf)
    {
        var content = new StringContent(System.Text.Json.JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");
        if (csrf) content.Headers.Add("X-Conpaas-Csrf", "1");
        return content;
    }

    /// <summary>Zeros of a given length from a stream that cannot tell its length: HttpClient sends it chunked.</summary>
    private sealed class UnseekableZeros(long length) : Stream
    {
        private long _left = length;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, _left);
            Array.Clear(buffer, offset, n);
            _left -= n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

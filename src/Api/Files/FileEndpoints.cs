using Conpaas.EventStore.Files;
using Conpaas.Api.Identity;
using Conpaas.Domain;
using Conpaas.Domain.Files;
using Marten;

namespace Conpaas.Api.Files;

/// <summary>
/// The contents: GET /files/{id} for the owner (bearer token or session cookie), GET /files/links/{secret} for whoever
/// holds a one-time link. Served as an attachment of type application/octet-stream with nosniff and a sandbox CSP, so
/// that an uploaded page never runs as the Director's origin.
/// </summary>
public static class FileEndpoints
{
    public static void MapFileEndpoints(this WebApplication app)
    {
        app.MapGet("/files/{id}", ByOwner);
        app.MapGet(FileLinks.PathPrefix + "{secret}", ByLink);
    }

    private static async Task ByOwner(HttpContext http, string id, Authenticator authenticator, Caller caller, IQuerySession reads, ContentFolder contents)
    {
        var authorization = http.Request.Headers.Authorization.ToString();
        if (authorization.Length == 0 && http.Request.Cookies[CookieSessions.CookieName] is { Length: > 0 } token) authorization = "Bearer " + token;
        await authenticator.Authenticate(authorization, caller, http.RequestAborted);
        if (!caller.IsSignedIn)
        {
            await Refuse(http, StatusCodes.Status401Unauthorized, DomainError.Unauthenticated(caller.RejectedBecause ?? "Sign in to read your files"));
            return;
        }

        var file = Guid.TryParse(id, out var fileId) ? await reads.LoadAsync<FileView>(fileId, http.RequestAborted) : null;
        if (file is null || file.OwnerId != caller.User!.Id)
        {
            await Refuse(http, StatusCodes.Status404NotFound, FileRules.NotFound(fileId));
            return;
        }

        await Serve(http, contents, file.OwnerId, file.Sha256, file.Name);
    }

    private static async Task ByLink(HttpContext http, string secret, IDocumentStore store, ContentFolder contents, TimeProvider clock)
    {
        // Taken and deleted in one statement: of two requests with one link, one gets the file.
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(http.RequestAborted);
        await using var take = connection.CreateCommand();
        take.CommandText = $"delete from {store.Options.DatabaseSchemaName}.mt_doc_filelink where id = $1 returning data::text";
        take.Parameters.Add(new Npgsql.NpgsqlParameter { Value = FileLinks.IdOf(secret) });
        var taken = await take.ExecuteScalarAsync(http.RequestAborted) is string json
            ? System.Text.Json.JsonSerializer.Deserialize<FileLink>(json, System.Text.Json.JsonSerializerOptions.Web)
            : null;
        if (taken is null)
        {
            await Refuse(http, StatusCodes.Status404NotFound, DomainError.NotFound("No such link, or it was used already"));
            return;
        }

        if (taken.ExpiresAt <= clock.GetUtcNow())
        {
            await Refuse(http, StatusCodes.Status410Gone, DomainError.NotFound($"The link expired at {taken.ExpiresAt:u}"));
            return;
        }

        await using var session = store.QuerySession();
        var file = await session.LoadAsync<FileView>(taken.FileId, http.RequestAborted);
        if (file is null)
        {
            await Refuse(http, StatusCodes.Status404NotFound, FileRules.NotFound(taken.FileId));
            return;
        }

        await Serve(http, contents, taken.OwnerId, taken.Sha256, file.Name);
    }

    private static async Task Serve(HttpContext http, ContentFolder contents, Guid ownerId, string sha256, string name)
    {
        await using var content = contents.Open(ownerId, sha256);
        http.Response.ContentType = "application/octet-stream";
        http.Response.ContentLength = content.Length;
        http.Response.Headers.ContentDisposition = new System.Net.Mime.ContentDisposition { FileName = name, DispositionType = "attachment" }.ToString();
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers.ContentSecurityPolicy = "sandbox; default-src 'none'";
        http.Response.Headers.CacheControl = "no-store";
        // The content's address: a downloader checks what it received against it.
        http.Response.Headers["X-Content-SHA256"] = sha256;
        await content.CopyToAsync(http.Response.Body, http.RequestAborted);
    }

    private static Task Refuse(HttpContext http, int status, DomainError error)
    {
        http.Response.StatusCode = status;
        return http.Response.WriteAsJsonAsync(new { errors = new[] { new { message = error.Message, extensions = new { code = error.Code.ToString() } } } },
            http.RequestAborted);
    }
}

using Conpaas.Api.GraphQL;
using Conpaas.Api.Identity;
using Conpaas.Api.Identity.Sso;
using Microsoft.Extensions.FileProviders;

namespace Conpaas.Api.Dashboard;

/// <summary>
/// The web dashboard (web/, built by scripts/web.sh into wwwroot): static files from the content root's wwwroot
/// (or <c>Dashboard:Directory</c>), index.html for the client's routes, and the browser's cookie session.
/// </summary>
public static class DashboardHosting
{
    /// <summary>Server paths that never fall back to the dashboard: an unknown path under them is a plain 404.</summary>
    private static readonly string[] ServerPaths = ["/graphql", "/health", "/ca", "/download", "/agents", "/session", "/sso", "/assets"];

    public static WebApplication MapDashboard(this WebApplication app)
    {
        app.MapCookieSessions();
        app.MapSso();
        var folder = Path.GetFullPath(app.Configuration["Dashboard:Directory"] ?? "wwwroot", app.Environment.ContentRootPath);
        var index = Path.Combine(folder, "index.html");
        if (!File.Exists(index))
        {
            app.MapGet("/", () => Results.Text(
                $"ConPaaS Director {DirectorVersion.Value}\nGraphQL: POST /graphql (schema: /graphql/schema.graphql), health: /health\n" +
                "The web dashboard is not built: scripts/web.sh builds it.\n",
                "text/plain; charset=utf-8"));
            return app;
        }

        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new PhysicalFileProvider(folder),
            OnPrepareResponse = files => files.Context.Response.Headers.CacheControl =
                files.Context.Request.Path.StartsWithSegments("/assets")
                    // esbuild names every asset after its content hash: a new build is a new name.
                    ? "public, max-age=31536000, immutable"
                    : "no-cache",
        });
        app.MapGet("/", (HttpContext http) => Index(http, index));
        app.MapFallback((HttpContext http) => ServerPaths.Any(p => http.Request.Path.StartsWithSegments(p)) || !HttpMethods.IsGet(http.Request.Method)
            ? Results.NotFound()
            : Index(http, index));
        return app;
    }

    private static IResult Index(HttpContext http, string index)
    {
        var headers = http.Response.Headers;
        headers.CacheControl = "no-cache";
        // Defence in depth behind rendering every API text as text: no inline or foreign script can run.
        headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
                                        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "same-origin";
        return Results.File(index, "text/html; charset=utf-8");
    }
}

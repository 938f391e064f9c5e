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
        app.MapGet("/", (HttpContext http) => Page(http, index, DashboardPolicy));
        app.MapGet("/graphiql", (HttpContext http) => Page(http, Path.Combine(folder, "graphiql.html"), GraphiQLPolicy));
        app.MapFallback((HttpContext http) => ServerPaths.Any(p => http.Request.Path.StartsWithSegments(p)) || !HttpMethods.IsGet(http.Request.Method)
            ? Results.NotFound()
            : Page(http, index, DashboardPolicy));
        return app;
    }

    /// <summary>Defence in depth behind rendering every API text as text: no inline or foreign script can run.</summary>
    private const string DashboardPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
                                           "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    /// <summary>
    /// GraphiQL's editor (Monaco) adds its styles as style elements at run time, and runs its language services in
    /// workers from /assets: the dashboard's policy with inline styles and same-origin workers. Scripts stay
    /// 'self' only.
    /// </summary>
    private const string GraphiQLPolicy = "default-src 'self'; script-src 'self'; worker-src 'self'; style-src 'self' 'unsafe-inline'; " +
                                          "font-src 'self' data:; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; " +
                                          "base-uri 'none'; form-action 'self'";

    private static IResult Page(HttpContext http, string file, string policy)
    {
        if (!File.Exists(file)) return Results.NotFound();
        var headers = http.Response.Headers;
        headers.CacheControl = "no-cache";
        headers.ContentSecurityPolicy = policy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "same-origin";
        return Results.File(file, "text/html; charset=utf-8");
    }
}

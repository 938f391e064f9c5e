using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Conpaas.Cli.Commands;

/// <summary>
/// <c>cps login --sso PROVIDER</c>, the loopback flow (RFC 8252): the browser signs in at the provider through the
/// Director, which then sends it to a port of this machine with a one-time code; the ssoLogin mutation turns the code
/// into the Director's own session token. The provider's tokens never reach the CLI.
/// </summary>
internal static class SsoLogin
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);

    /// <summary>The ssoLogin mutation's data: { ssoLogin { token expiresAt user { username role } } }.</summary>
    public static async Task<JsonObject> Run(CommandContext ctx, string provider)
    {
        var port = FreePort();
        var back = $"http://127.0.0.1:{port}/";
        using var listener = new HttpListener();
        listener.Prefixes.Add(back);
        listener.Start();

        var url = $"{ctx.DirectorName}/sso/{Uri.EscapeDataString(provider)}/start?cli={Uri.EscapeDataString(back)}";
        ctx.Err.WriteLine($"Open this address in a browser to sign in with {provider} (waiting {Patience.TotalMinutes:0} minutes):");
        ctx.Err.WriteLine("  " + url);
        if (ctx.Env("CPS_NO_BROWSER") is null) OpenBrowser(url);

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ctx.Cancellation);
        wait.CancelAfter(Patience);
        string? code, error;
        while (true)
        {
            HttpListenerContext request;
            try
            {
                request = await listener.GetContextAsync().WaitAsync(wait.Token);
            }
            catch (OperationCanceledException) when (!ctx.Cancellation.IsCancellationRequested)
            {
                throw CliError.Refused($"No sign-in came back within {Patience.TotalMinutes:0} minutes", "UNAUTHENTICATED");
            }

            code = request.Request.QueryString["code"];
            error = request.Request.QueryString["error"];
            // A browser also asks for /favicon.ico: only the Director's answer ends the wait.
            if (code is null && error is null)
            {
                await Reply(request, 404, "Not the sign-in");
                continue;
            }

            await Reply(request, 200, error is null ? "Signed in: you may close this window and go back to cps." : "Sign-in failed: " + error);
            break;
        }

        if (error is not null) throw CliError.Refused(error, "UNAUTHENTICATED");
        return await ctx.Send("""
            mutation($c: String!) { ssoLogin(code: $c) { token expiresAt user { username role } } }
            """, new { c = code });
    }

    private static async Task Reply(HttpListenerContext request, int status, string text)
    {
        var body = Encoding.UTF8.GetBytes(text + "\n");
        request.Response.StatusCode = status;
        request.Response.ContentType = "text/plain; charset=utf-8";
        await request.Response.OutputStream.WriteAsync(body);
        request.Response.Close();
    }

    /// <summary>Best effort: the address is printed anyway for a machine without a browser.</summary>
    private static void OpenBrowser(string url)
    {
        try
        {
            using var _ = Process.Start(new ProcessStartInfo(url) { UseShellExecute = true });
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException or PlatformNotSupportedException)
        {
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}

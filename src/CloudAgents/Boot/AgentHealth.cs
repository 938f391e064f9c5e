namespace Conpaas.CloudAgents.Boot;

/// <summary>The readiness check of a booted agent: its /health answers 200 within two seconds.</summary>
public static class AgentHealth
{
    public static async Task<bool> Answers(IHttpClientFactory http, string? address, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(address)) return false;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            using var response = await http.CreateClient(nameof(AgentHealth)).GetAsync($"http://{address}/health", timeout.Token);
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }
}

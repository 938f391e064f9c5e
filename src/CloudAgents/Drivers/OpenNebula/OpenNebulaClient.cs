using System.Globalization;
using System.Net;
using System.Text;
using System.Xml.Linq;

namespace Conpaas.CloudAgents.Drivers.OpenNebula;

/// <summary>An answer of oned: [true, value, code] or [false, "message", code] (OpenNebula 6.x "XML-RPC Server API").</summary>
public sealed record OneAnswer(bool Success, string Value, int Code)
{
    // The error codes of the reference.
    public const int Authentication = 0x0100, Authorization = 0x0200, NoExists = 0x0400, Action = 0x0800,
        XmlRpcApi = 0x1000, Internal = 0x2000, Allocate = 0x4000, Locked = 0x8000;

    /// <summary>A refused call as a driver failure: oned's internal errors and actions refused in the VM's current
    /// (passing) state are worth another try; the rest (credentials, quota, a bad template) are not.</summary>
    public CloudDriverException Failure(string method) =>
        new($"OpenNebula refused {method}: {Value} (code {Code})", transient: Code is Internal or Action);
}

/// <summary>The XML-RPC calls of OpenNebula over the cloud HTTP client, with the session "user:password".</summary>
public sealed class OpenNebulaClient(OpenNebulaSettings settings, string cloud, IHttpClientFactory http)
{
    private readonly SemaphoreSlim _inFlight = new(settings.MaxConcurrency, settings.MaxConcurrency);

    /// <summary>Calls a method with the session as its first parameter; parameters are strings, ints or booleans.</summary>
    public async Task<OneAnswer> Call(string method, object[] parameters, CancellationToken ct)
    {
        if (settings.Url is null) throw new CloudDriverException($"The opennebula cloud '{cloud}' has no valid URL", transient: false);
        var call = new XElement("methodCall", new XElement("methodName", method),
            new XElement("params", new[] { (object)$"{settings.User}:{settings.Password}" }.Concat(parameters)
                .Select(p => new XElement("param", new XElement("value", Value(p))))));
        using var request = new HttpRequestMessage(HttpMethod.Post, settings.Url)
        {
            Content = new StringContent(new XDeclaration("1.0", "utf-8", null) + call.ToString(SaveOptions.DisableFormatting), Encoding.UTF8, "text/xml"),
        };

        string text;
        await _inFlight.WaitAsync(ct);
        try
        {
            using var response = await http.CreateClient(CloudHttp.Name).SendAsync(request, ct);
            if (!response.IsSuccessStatusCode)
                // oned answers every call with 200; anything else is a proxy or an overloaded server in front of it.
                throw new CloudDriverException($"OpenNebula cloud '{cloud}' answered {method} with HTTP {(int)response.StatusCode}",
                    transient: response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || (int)response.StatusCode >= 500);
            text = await response.Content.ReadAsStringAsync(ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && ex is HttpRequestException or TaskCanceledException
                                       or Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException)
        {
            throw new CloudDriverException($"OpenNebula cloud '{cloud}' did not answer {method}: {ex.Message}", transient: true, ex);
        }
        finally
        {
            _inFlight.Release();
        }

        return Parse(method, text);
    }

    private OneAnswer Parse(string method, string text)
    {
        try
        {
            var response = XElement.Parse(text);
            if (response.Element("fault") is { } fault)
                throw new CloudDriverException($"OpenNebula cloud '{cloud}' rejected the call {method}: {string.Join(" ", fault.Descendants("string").Select(s => s.Value))}", transient: false);
            var values = response.Element("params")?.Element("param")?.Element("value")?.Element("array")?.Element("data")?.Elements("value").ToList() ?? [];
            if (values.Count < 2) throw new FormatException("not [success, value, …]");
            return new OneAnswer(Scalar(values[0]) == "1", Scalar(values[1]),
                values.Count > 2 && int.TryParse(Scalar(values[2]), CultureInfo.InvariantCulture, out var code) ? code : 0);
        }
        catch (Exception ex) when (ex is System.Xml.XmlException or FormatException)
        {
            throw new CloudDriverException($"OpenNebula cloud '{cloud}' answered {method} with something that is not XML-RPC: {ex.Message}", transient: true, ex);
        }
    }

    /// <summary>A value's text whatever its type (&lt;string&gt;, &lt;i4&gt;, &lt;int&gt;, &lt;boolean&gt;, or bare text, which is a string).</summary>
    private static string Scalar(XElement value) => value.Elements().FirstOrDefault()?.Value ?? value.Value;

    private static XElement Value(object parameter) => parameter switch
    {
        bool b => new XElement("boolean", b ? "1" : "0"),
        int i => new XElement("i4", i.ToString(CultureInfo.InvariantCulture)),
        _ => new XElement("string", parameter.ToString()),
    };
}

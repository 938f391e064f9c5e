using System.Globalization;

namespace Conpaas.CloudAgents.Drivers.OpenStack;

/// <summary>
/// An openstack cloud's keys. The original's names (USER, PASSWORD, HOST, IMAGE_ID, SIZE_ID, KEY_NAME,
/// SECURITY_GROUP_NAME, NETWORK_ID) plus Keystone v3's: PROJECT (the original's tenant, USER by default), USER_DOMAIN and
/// PROJECT_DOMAIN (Default), REGION, and APPLICATION_CREDENTIAL_ID/_SECRET instead of USER/PASSWORD. HOST is a host name
/// (Keystone at http://HOST:5000/v3, as the original assumed) or Keystone's URL. AGENT_PORT is where the agent answers
/// (5555), MAX_CONCURRENCY bounds the calls in flight to this cloud (8).
/// </summary>
public sealed record OpenStackSettings(
    Uri? Keystone, string? User, string? Password, string? Project, string UserDomain, string ProjectDomain,
    string? ApplicationCredentialId, string? ApplicationCredentialSecret, string? Region,
    string Image, string Flavor, string? KeyName, string? SecurityGroup, string? NetworkId, int AgentPort, int MaxConcurrency)
{
    public static OpenStackSettings From(IReadOnlyDictionary<string, string?> keys)
    {
        string? Key(string key) => keys.TryGetValue(key, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
        int Int(string key, int fallback) => int.TryParse(Key(key), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : fallback;
        return new OpenStackSettings(KeystoneUrl(Key("HOST")), Key("USER"), Key("PASSWORD"), Key("PROJECT") ?? Key("USER"),
            Key("USER_DOMAIN") ?? "Default", Key("PROJECT_DOMAIN") ?? "Default",
            Key("APPLICATION_CREDENTIAL_ID"), Key("APPLICATION_CREDENTIAL_SECRET"), Key("REGION"),
            Key("IMAGE_ID") ?? "", Key("SIZE_ID") ?? "", Key("KEY_NAME"), Key("SECURITY_GROUP_NAME"), Key("NETWORK_ID"),
            Int("AGENT_PORT", 5555), Int("MAX_CONCURRENCY", 8));
    }

    public bool UsesApplicationCredential => ApplicationCredentialId is not null;

    /// <summary>What in the keys keeps the driver from authenticating (the catalog checks the always-required keys).</summary>
    public IReadOnlyList<string> Problems(string cloud)
    {
        var problems = new List<string>();
        if (Keystone is null) problems.Add($"Missing openstack config param HOST for cloud '{cloud}'");
        if (UsesApplicationCredential ? ApplicationCredentialSecret is null : User is null || Password is null)
            problems.Add($"The openstack cloud '{cloud}' needs USER and PASSWORD, or APPLICATION_CREDENTIAL_ID and APPLICATION_CREDENTIAL_SECRET");
        return problems;
    }

    private static Uri? KeystoneUrl(string? host)
    {
        if (host is null) return null;
        var url = host.Contains("://", StringComparison.Ordinal) ? host.TrimEnd('/') : $"http://{host}:5000";
        if (!url.EndsWith("/v3", StringComparison.Ordinal)) url += "/v3";
        return Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri : null;
    }
}

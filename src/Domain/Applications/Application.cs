namespace Conpaas.Domain.Applications;

/// <summary>A named group of services with one VPN. Its inline snapshot is the application read model.</summary>
public sealed class Application
{
    public Guid Id { get; set; }
    public int Version { get; set; }
    public Guid OwnerId { get; set; }
    public string Name { get; set; } = "";
    public string? Network { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>Services that belong to it now, with their subnets; a removed service leaves this list.</summary>
    public List<ServiceSlot> Services { get; set; } = [];
    /// <summary>The last sid handed out; sids are never reused within an application, as in ConPaaS.</summary>
    public int LastSid { get; set; }
    public bool Deleted { get; set; }

    /// <summary>
    /// Unique per owner among live applications, whatever the Unicode composition or letter case of the name
    /// (<see cref="Text.Key"/>); null once deleted, which frees the name.
    /// </summary>
    public string? NameKey => Deleted ? null : $"{OwnerId:N}/{Text.Key(Name)}";

    /// <summary>A copy to evolve while deciding (see <see cref="Services.Service.Copy"/>).</summary>
    public Application Copy()
    {
        var copy = (Application)MemberwiseClone();
        copy.Services = [.. Services];
        return copy;
    }

    private static Application Begin(ApplicationCreated e) => new()
    {
        Id = e.ApplicationId,
        OwnerId = e.OwnerId,
        Name = e.Name,
        Network = e.Network,
        CreatedAt = e.CreatedAt,
    };

    /// <summary>
    /// The one dispatch (named so that Marten does not take it for a convention method) of an application stream's events: the first creates the application, every later one is
    /// applied to it; others are ignored. The inline projection (ApplicationProjection) delegates here.
    /// </summary>
    public static Application? After(Application? app, object e)
    {
        switch (e)
        {
            case ApplicationCreated x: return Begin(x);
            case ApplicationRenamed x: app?.On(x); break;
            case ServiceSubnetAllocated x: app?.On(x); break;
            case ServiceSubnetReleased x: app?.On(x); break;
            case ApplicationDeleted x: app?.On(x); break;
        }

        return app;
    }

    private void On(ApplicationRenamed e) => Name = e.Name;

    private void On(ServiceSubnetAllocated e)
    {
        Services.Add(new ServiceSlot(e.ServiceId, e.Sid, e.Subnet));
        LastSid = Math.Max(LastSid, e.Sid);
    }

    private void On(ServiceSubnetReleased e) => Services.RemoveAll(s => s.ServiceId == e.ServiceId);

    private void On(ApplicationDeleted _) => Deleted = true;
}

public sealed record ServiceSlot(Guid ServiceId, int Sid, string? Subnet);

using Conpaas.Api.Identity;
using Conpaas.Domain.Applications;

namespace Conpaas.Api.Applications;

public static class ApplicationWrites
{
    /// <summary>The application, unless it is deleted or someone else's: then NOT_FOUND, exactly like a missing one.</summary>
    public static Application Visible(Application? app, Guid id, Actor by) =>
        app is { Deleted: false } && by.MaySee(app.OwnerId) ? app : throw ApplicationDecisions.NotFound(id).ToException();
}

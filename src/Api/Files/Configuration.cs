using Conpaas.Domain.Files;
using JasperFx.Events.Projections;
using Microsoft.Extensions.Options;

namespace Conpaas.Api.Files;

/// <summary>Registers the data-files slice: settings, the content folder, the endpoints (its documents and projections are in DirectorStore).</summary>
public static class Configuration
{
    public static WebApplicationBuilder AddDataFiles(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IValidateOptions<DataFileOptions>, FileOptionsValidator>();
        builder.Services.AddOptions<DataFileOptions>().BindConfiguration(DataFileOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<ContentFolder>();
        builder.Services.AddScoped<MultipartUploads>();
        builder.Services.AddScoped<FileCommands>();
        builder.Services.AddSingleton<Conpaas.CloudAgents.Provisioning.IServiceFileLinks, ServiceFileLinks>();
        return builder;
    }

    public static WebApplication MapDataFiles(this WebApplication app)
    {
        app.MapFileEndpoints();
        return app;
    }
}

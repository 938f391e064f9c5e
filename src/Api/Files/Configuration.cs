using Conpaas.Domain.Files;
using JasperFx.Events.Projections;
using Marten;
using Microsoft.Extensions.Options;

namespace Conpaas.Api.Files;

/// <summary>Registers the data-files slice: settings, the content folder, its Marten documents and projections, the endpoints.</summary>
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
        builder.Services.ConfigureMarten(opts =>
        {
            opts.Events.AddEventTypes([typeof(FileUploaded), typeof(FileDeleted), typeof(ServiceFileSet)]);
            opts.Projections.Add<FileProjection>(ProjectionLifecycle.Inline);
            opts.Projections.Add<ServiceFilesProjection>(ProjectionLifecycle.Inline);
            opts.Schema.For<FileView>().Index(x => x.OwnerId);
            opts.Schema.For<ServiceFilesView>().GinIndexJsonData();
            opts.Schema.For<FileLink>();
        });
        return builder;
    }

    public static WebApplication MapDataFiles(this WebApplication app)
    {
        app.MapFileEndpoints();
        return app;
    }
}

using Conpaas.EventStore.Files;
using Conpaas.Api.GraphQL;
using Conpaas.Domain.Files;
using GraphQL;
using GraphQL.Types;

namespace Conpaas.Api.Files;

public sealed class FileGraphType : ObjectGraphType<FileView>
{
    public FileGraphType()
    {
        Name = "File";
        Description = "A file the caller uploaded; its content is at GET /files/{id} (the owner only) or through fileLink.";
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(c => c.Source.Id);
        Field<NonNullGraphType<StringGraphType>>("name").Resolve(c => c.Source.Name);
        Field<NonNullGraphType<LongGraphType>>("size").Description("Bytes.").Resolve(c => c.Source.Size);
        Field<NonNullGraphType<StringGraphType>>("sha256").Description("SHA-256 of the content, lower-case hexadecimal.")
            .Resolve(c => c.Source.Sha256);
        Field<NonNullGraphType<DateTimeScalar>>("uploadedAt").Resolve(c => c.Source.UploadedAt);
    }
}

public sealed class FilePageGraphType : ObjectGraphType<FilePage>
{
    public FilePageGraphType()
    {
        Name = "FilePage";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<FileGraphType>>>>("files").Resolve(c => c.Source.Files);
        Field<StringGraphType>("nextCursor").Description("Pass as 'after' for the next page; null on the last one.")
            .Resolve(c => c.Source.NextCursor);
    }
}

public sealed class ServiceFileKindGraphType : EnumerationGraphType<ServiceFileKind>
{
    public ServiceFileKindGraphType()
    {
        Name = "ServiceFileKind";
        Description = "STARTUP_SCRIPT: run on each of the service's VMs at boot; ARCHIVE: the service's code.";
    }
}

public sealed class ServiceFileGraphType : ObjectGraphType<(ServiceFileKind Kind, ServiceFile File)>
{
    public ServiceFileGraphType()
    {
        Name = "ServiceFile";
        Description = "A file a service's VMs receive at boot (a one-time link each), as it was when it was set.";
        Field<NonNullGraphType<ServiceFileKindGraphType>>("kind").Resolve(c => c.Source.Kind);
        Field<NonNullGraphType<IdGraphType>>("fileId").Resolve(c => c.Source.File.FileId);
        Field<NonNullGraphType<StringGraphType>>("name").Resolve(c => c.Source.File.Name);
        Field<NonNullGraphType<LongGraphType>>("size").Resolve(c => c.Source.File.Size);
        Field<NonNullGraphType<StringGraphType>>("sha256").Resolve(c => c.Source.File.Sha256);
    }
}

/// <summary>The data-files slice of the contract.</summary>
public static class FileSchema
{
    public static void AddFileQueries(this ObjectGraphType query)
    {
        query.Field<NonNullGraphType<FilePageGraphType>>("files").Description("The caller's files, oldest first.")
            .Argument<IntGraphType>("first", a => a.DefaultValue = 50)
            .Argument<StringGraphType>("after")
            .ResolveAsync(async c => await c.Get<FileCommands>().List(c.GetArgument("first", 50), c.GetArgument<string?>("after"), c.CancellationToken));
        query.Field<NonNullGraphType<ListGraphType<NonNullGraphType<ServiceFileGraphType>>>>("serviceFiles")
            .Description("The startup script and code archive of one of the caller's services.")
            .Argument<NonNullGraphType<IdGraphType>>("serviceId")
            .ResolveAsync(async c => await c.Get<FileCommands>().ServiceFiles(Ids.Parse(c.GetArgument<string>("serviceId"), "serviceId"), c.CancellationToken));
    }

    public static void AddFileMutations(this ObjectGraphType mutation)
    {
        mutation.Field<NonNullGraphType<FileGraphType>>("uploadFile")
            .Description("Stores a file sent as a multipart/form-data part (GraphQL multipart request spec). name: default the part's file name. " +
                         "Larger than Files:MaxBytes: HTTP 413; over the caller's Files:QuotaBytes: QUOTA_EXCEEDED.")
            .Argument<NonNullGraphType<UploadGraphType>>("file")
            .Argument<StringGraphType>("name")
            .ResolveAsync(async c => await c.Get<FileCommands>().Upload(c.GetArgument<SpooledFile?>("file"), c.GetArgument<string?>("name"), c.CancellationToken));
        mutation.Field<NonNullGraphType<BooleanGraphType>>("deleteFile")
            .Description("Deletes one of the caller's files (CONFLICT while a service uses it).")
            .Argument<NonNullGraphType<IdGraphType>>("id")
            .ResolveAsync(async c => await c.Get<FileCommands>().Delete(Ids.Parse(c.GetArgument<string>("id"), "id"), c.CancellationToken));
        mutation.Field<NonNullGraphType<StringGraphType>>("fileLink")
            .Description("A URL that serves the file's content once, to anyone, within ttlSeconds (at most Files:MaxLinkLifetime); then 404, or 410 once expired.")
            .Argument<NonNullGraphType<IdGraphType>>("id")
            .Argument<NonNullGraphType<IntGraphType>>("ttlSeconds")
            .ResolveAsync(async c => await c.Get<FileCommands>().Link(Ids.Parse(c.GetArgument<string>("id"), "id"), c.GetArgument<int>("ttlSeconds"), c.CancellationToken));
        mutation.Field<NonNullGraphType<ServiceFileGraphType>>("setServiceFile")
            .Description("Makes one of the caller's files the service's startup script or code archive: each VM that boots afterwards gets a one-time link to it.")
            .Argument<NonNullGraphType<IdGraphType>>("serviceId")
            .Argument<NonNullGraphType<ServiceFileKindGraphType>>("kind")
            .Argument<NonNullGraphType<IdGraphType>>("fileId")
            .ResolveAsync(async c =>
            {
                var kind = c.GetArgument<ServiceFileKind>("kind");
                var file = await c.Get<FileCommands>().SetServiceFile(Ids.Parse(c.GetArgument<string>("serviceId"), "serviceId"), kind,
                    Ids.Parse(c.GetArgument<string>("fileId"), "fileId"), c.CancellationToken);
                return (kind, file);
            });
    }
}

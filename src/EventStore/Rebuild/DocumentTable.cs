using System.Reflection;
using System.Threading.Channels;
using Marten;
using Marten.Storage;
using Weasel.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Conpaas.EventStore.Rebuild;

/// <summary>A rebuilt document and the metadata its row carries: the stream version and the time of its last event.</summary>
internal readonly record struct RebuiltDocument(object Document, long Version, DateTimeOffset LastModified);

/// <summary>
/// Writes rebuilt documents into their table with one binary COPY, their JSON made on other threads meanwhile. Marten's own bulk insert would write every numeric
/// revision as 1 and every last-modified time as now; a projected document carries its stream's version and (here)
/// the time of its last event, which is also what inline projection writes within milliseconds.
/// </summary>
internal sealed class DocumentTable
{
    private enum Kind { Id, Data, LastModified, Revision, DotNetType, Duplicate }

    private readonly record struct Column(string Name, Kind Kind, NpgsqlDbType Type, Func<object, object?>? Value = null);

    private readonly List<Column> _columns;
    private readonly Func<object, object?> _id;

    private DocumentTable(string qualifiedName, List<Column> columns, Func<object, object?> id)
    {
        QualifiedName = qualifiedName;
        _columns = columns;
        _id = id;
    }

    public string QualifiedName { get; }

    /// <summary>Matches the table's actual columns to what a document provides; a column nothing provides must have a default.</summary>
    public static async Task<DocumentTable> For(IMartenDatabase database, Type documentType, NpgsqlConnection conn, CancellationToken ct)
    {
        // Marten's storage of the type (generic only): its table, duplicated fields and identity.
        var provider = typeof(IProviderGraph).GetMethod(nameof(IProviderGraph.StorageFor))!.MakeGenericMethod(documentType)
            .Invoke(database.Providers, null)!;
        var storage = (IDocumentStorage)provider.GetType().GetProperty("Lightweight")!.GetValue(provider)!;
        var identityFor = typeof(IDocumentStorage<>).MakeGenericType(documentType).GetMethod("IdentityFor")!;
        var mapping = storage;
        await using var cmd = new NpgsqlCommand(
            "select column_name, data_type, column_default is not null or is_nullable = 'YES' from information_schema.columns " +
            "where table_schema = @schema and table_name = @table order by ordinal_position", conn);
        cmd.Parameters.AddWithValue("schema", mapping.TableName.Schema);
        cmd.Parameters.AddWithValue("table", mapping.TableName.Name);
        var columns = new List<Column>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var (name, type, optional) = (reader.GetString(0), reader.GetString(1), reader.GetBoolean(2));
            var duplicate = mapping.DuplicatedFields.FirstOrDefault(f => f.ColumnName == name);
            Column? column = name switch
            {
                "id" => new Column(name, Kind.Id, DbType(type)),
                "data" => new Column(name, Kind.Data, NpgsqlDbType.Jsonb),
                "mt_last_modified" => new Column(name, Kind.LastModified, NpgsqlDbType.TimestampTz),
                // A numeric revision is the stream version; a Guid version is left to the column's default, as Marten does.
                "mt_version" when type == "bigint" => new Column(name, Kind.Revision, NpgsqlDbType.Bigint),
                "mt_dotnet_type" => new Column(name, Kind.DotNetType, NpgsqlDbType.Varchar),
                _ when duplicate is not null => new Column(name, Kind.Duplicate, DbType(type), Getter(duplicate.Members)),
                _ when optional => null,
                _ => throw new InvalidOperationException($"{mapping.TableName.QualifiedName}.{name} needs a value the rebuild does not know how to give"),
            };
            if (column is { } c) columns.Add(c);
        }

        if (columns.Count == 0) throw new InvalidOperationException($"{mapping.TableName.QualifiedName} does not exist");
        return new DocumentTable(mapping.TableName.QualifiedName, columns, document => identityFor.Invoke(storage, [document]));
    }

    /// <summary>
    /// Starts making the rows of the documents (their JSON above all) on the thread pool, a chunk at a time and a few
    /// chunks ahead of <see cref="Copy"/>, so that serialising overlaps with the COPY (and with the COPY of the table before).
    /// </summary>
    public ChannelReader<Task<object?[][]>> Serialise(IReadOnlyList<RebuiltDocument> documents, ISerializer serializer, CancellationToken ct)
    {
        const int chunk = 1000;
        var rows = Channel.CreateBounded<Task<object?[][]>>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
        _ = Task.Run(async () =>
        {
            try
            {
                for (var start = 0; start < documents.Count; start += chunk)
                {
                    var (from, to) = (start, Math.Min(start + chunk, documents.Count));
                    await rows.Writer.WriteAsync(Task.Run(() => Rows(documents, from, to, serializer), ct), ct);
                }

                rows.Writer.Complete();
            }
            catch (Exception ex)
            {
                rows.Writer.Complete(ex);
            }
        }, ct);
        return rows.Reader;
    }

    private object?[][] Rows(IReadOnlyList<RebuiltDocument> documents, int from, int to, ISerializer serializer)
    {
        var rows = new object?[to - from][];
        for (var i = from; i < to; i++)
        {
            var d = documents[i];
            var row = rows[i - from] = new object?[_columns.Count];
            for (var c = 0; c < _columns.Count; c++)
                row[c] = _columns[c].Kind switch
                {
                    Kind.Id => _id(d.Document),
                    Kind.Data => serializer.ToJson(d.Document),
                    Kind.LastModified => d.LastModified,
                    Kind.Revision => d.Version,
                    Kind.DotNetType => d.Document.GetType().FullName,
                    _ => _columns[c].Value!(d.Document),
                };
        }

        return rows;
    }

    /// <summary>Writes the rows <see cref="Serialise"/> makes with one binary COPY.</summary>
    public async Task<long> Copy(NpgsqlConnection conn, ChannelReader<Task<object?[][]>> rows, CancellationToken ct)
    {
        await using var copy = await conn.BeginBinaryImportAsync(
            $"copy {QualifiedName} ({string.Join(", ", _columns.Select(c => c.Name))}) from stdin (format binary)", ct);
        await foreach (var next in rows.ReadAllAsync(ct))
            foreach (var row in await next)
            {
                await copy.StartRowAsync(ct);
                for (var c = 0; c < row.Length; c++)
                    if (row[c] is { } value) await copy.WriteAsync(value, _columns[c].Type, ct);
                    else await copy.WriteNullAsync(ct);
            }

        return (long)await copy.CompleteAsync(ct);
    }

    private static NpgsqlDbType DbType(string columnType) => columnType switch
    {
        "uuid" => NpgsqlDbType.Uuid,
        "character varying" => NpgsqlDbType.Varchar,
        "text" => NpgsqlDbType.Text,
        "integer" => NpgsqlDbType.Integer,
        "bigint" => NpgsqlDbType.Bigint,
        "boolean" => NpgsqlDbType.Boolean,
        "timestamp with time zone" => NpgsqlDbType.TimestampTz,
        _ => throw new InvalidOperationException($"columns of type {columnType} are not supported by the rebuild"),
    };

    /// <summary>Reads a (possibly nested) member path of a document; null anywhere on the path gives null.</summary>
    private static Func<object, object?> Getter(MemberInfo[] path) => document =>
    {
        object? value = document;
        foreach (var member in path)
        {
            if (value is null) return null;
            value = member switch
            {
                PropertyInfo p => p.GetValue(value),
                FieldInfo f => f.GetValue(value),
                _ => throw new InvalidOperationException($"cannot read {member.Name}"),
            };
        }

        return value;
    };
}

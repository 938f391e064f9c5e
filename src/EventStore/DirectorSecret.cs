namespace Conpaas.EventStore;

/// <summary>A secret of this Director, kept in the database so that every node and every restart shares it.</summary>
public sealed class DirectorSecret
{
    public string Id { get; set; } = "";
    public string Value { get; set; } = "";
}

using Conpaas.Api.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Api.Tests.Subscriptions;

/// <summary>Two Director nodes on one database, each a real host on its own port.</summary>
public sealed class TwoNodes : IAsyncLifetime
{
    public DirectorApp First { get; } = new();
    public SecondNode Second { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await First.InitializeAsync();
        Second = new SecondNode(First.ConnectionString);
        await Second.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Second.DisposeAsync();
        await First.DisposeAsync();
    }

    public sealed class SecondNode(string connectionString) : DirectorApp
    {
        protected override Task<string> Database() => Task.FromResult(connectionString);
        protected override bool OwnsDatabase => false;
    }
}

namespace OpsBot.Tests.Infrastructure;

/// <summary>The suite-wide PostgreSQL server: each test class creates its own database on it.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}

/// <summary>A PostgreSQL server of its own for tests that restart or stop it.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresOutageCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres-outage";
}

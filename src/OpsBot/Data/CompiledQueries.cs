using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace OpsBot.Data;

/// <summary>
/// An EF compiled query (translated once instead of on every call) for each model it meets: a compiled query is bound to one
/// model, and each database provider has its own (tests run SQLite and PostgreSQL in one process).
/// </summary>
public sealed class PerModel<TQuery>(Func<TQuery> compile) where TQuery : class
{
    private readonly ConditionalWeakTable<IModel, TQuery> _compiled = new();

    public TQuery For(DbContext db) => _compiled.GetValue(db.Model, _ => compile());
}

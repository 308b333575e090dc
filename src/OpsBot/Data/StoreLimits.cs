using System.Data.Common;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace OpsBot.Data;

/// <summary>
/// What every provider's columns can hold, the same on SQLite, PostgreSQL and SQL Server: no NUL character (PostgreSQL refuses
/// <c>\u0000</c> in text), no more characters than the column's max length, no more integer digits than a decimal column's
/// precision allows, and dates in the range the features accept. Features check their inputs with these helpers so that the
/// answer names the field; <see cref="Check"/> runs before every save as the safety net for whatever a feature missed.
/// </summary>
public static class StoreLimits
{
    /// <summary>The exclusive bound of a <c>decimal(18,4)</c> column (the model's convention): 14 integer digits.</summary>
    public const decimal MaxAmount = 100_000_000_000_000m;

    public static readonly DateOnly MinDate = new(1900, 1, 1);
    public static readonly DateOnly MaxDate = new(2999, 12, 31);

    public static bool HasNul(string? text) => text?.Contains('\0', StringComparison.Ordinal) == true;

    /// <summary>Null when <paramref name="text"/> fits a column of <paramref name="maxLength"/>; else what is wrong, naming <paramref name="label"/>.</summary>
    public static string? TextProblem(string label, string? text, int? maxLength)
    {
        if (text is null) return null;
        if (HasNul(text)) return $"{label} contains a NUL character (\\u0000), which cannot be stored. Remove it and try again.";
        if (maxLength is { } max && text.Length > max) return $"{label} is longer than {max.ToString("N0", CultureInfo.InvariantCulture)} characters.";
        return null;
    }

    public static string? AmountProblem(string label, decimal value) =>
        Math.Abs(value) >= MaxAmount ? $"{label} is too large (at most {(MaxAmount - 1).ToString("N0", CultureInfo.InvariantCulture)})." : null;

    public static string? DateProblem(string label, DateOnly date) =>
        date < MinDate || date > MaxDate ? $"{label} must be between {MinDate:yyyy-MM-dd} and {MaxDate:yyyy-MM-dd}." : null;

    /// <summary>Throws <see cref="StoreLimitException"/> for the first added or modified value the store cannot hold.</summary>
    public static void Check(ChangeTracker tracker)
    {
        foreach (var entry in tracker.Entries())
        {
            if (entry.State is not (EntityState.Added or EntityState.Modified)) continue;
            foreach (var property in entry.Properties)
            {
                if (entry.State == EntityState.Modified && !property.IsModified) continue;
                var meta = property.Metadata;
                var problem = property.CurrentValue switch
                {
                    string s => TextProblem(meta.Name, s, meta.GetMaxLength()),
                    decimal d when meta.GetPrecision() is { } precision => Math.Abs(d) >= Pow10(precision - (meta.GetScale() ?? 0))
                        ? $"{meta.Name} is too large for the store." : null,
                    IEnumerable<string> list => list.Any(HasNul)
                        ? $"{meta.Name} contains a NUL character (\\u0000), which cannot be stored." : null,
                    _ => null,
                };
                if (problem is not null) throw new StoreLimitException(entry.Metadata.ClrType.Name, meta.Name, problem);
            }
        }
    }

    private static decimal Pow10(int digits) => digits >= 28 ? decimal.MaxValue : (decimal)Math.Pow(10, digits);

    /// <summary>The field and message when <paramref name="ex"/> is a value the store refused (ours or the database's own check); else null.</summary>
    public static (string Field, string Message)? Refusal(Exception ex) => ex switch
    {
        StoreLimitException s => (s.Field, s.Message),
        DbUpdateException { InnerException: { } inner } => Refusal(inner),
        Npgsql.PostgresException { SqlState: "22021" or "22001" or "22003" or "22008" or "22P05" } p =>
            (p.ColumnName ?? "value", "A value is too long or out of range for the store" + (p.ColumnName is null ? "." : $" ({p.ColumnName}).")),
        Microsoft.Data.SqlClient.SqlException { Number: 2628 or 8152 or 8115 or 242 or 517 } =>
            ("value", "A value is too long or out of range for the store."),
        _ => null,
    };
}

/// <summary>A value the store cannot hold reached a save; <see cref="Field"/> names the property.</summary>
public sealed class StoreLimitException(string entity, string field, string message) : Exception(message)
{
    public string Entity { get; } = entity;
    public string Field { get; } = field;
}

/// <summary>Answers a request whose save was refused by <see cref="StoreLimits"/> (or the database's own value check) with 400 problem+json naming the field.</summary>
public sealed class StoreRefusalHandler(IProblemDetailsService problems) : Microsoft.AspNetCore.Diagnostics.IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        if (StoreLimits.Refusal(exception) is not { } refusal) return false;
        http.Response.StatusCode = StatusCodes.Status400BadRequest;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails = new Microsoft.AspNetCore.Http.HttpValidationProblemDetails(new Dictionary<string, string[]> { [refusal.Field] = [refusal.Message] })
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "A value cannot be stored.",
                Detail = refusal.Message,
            },
        });
    }
}

/// <summary>
/// Refuses, before it is sent, any EF command with a NUL character in a text parameter, on every provider. On PostgreSQL such a
/// parameter fails the statement at Bind, and Npgsql 10.0.0 (npgsql/npgsql#6391) then leaves a statement that was being
/// auto-prepared on that very execution marked prepared without its row description: the next valid run of the same query on
/// that pooled connection fails with "Received unexpected backend message DataRow". With no NUL reaching a Bind (values of
/// EF's typed parameters fail nowhere else at Bind), auto-prepare, generic plans and no-reset-on-close stay safe and are kept.
/// </summary>
public sealed class StoreLimitGuard : DbCommandInterceptor
{
    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Check(command);
        return result;
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Check(command);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        Check(command);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Check(command);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    {
        Check(command);
        return result;
    }

    public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        Check(command);
        return ValueTask.FromResult(result);
    }

    private static void Check(DbCommand command)
    {
        foreach (DbParameter p in command.Parameters)
        {
            if (p.Value is string s && StoreLimits.HasNul(s))
                throw new StoreLimitException("command", "value", "A value contains a NUL character (\\u0000), which cannot be stored or looked up. Remove it and try again.");
        }
    }
}

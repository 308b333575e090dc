using System.Text.Json;
using OpsBot.Data;

namespace OpsBot.Audit;

/// <summary>
/// The shared audit trail (Commitments, Escalations, Alerts): <c>db.Audit(...)</c> adds a record to the caller's unit of
/// work, so it commits or rolls back together with the change it describes.
/// </summary>
public static class AuditExtensions
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static AuditEntry Audit(this OpsBotDbContext db, DateTime at, string userId, string? userName, string action,
        string entityType, string entityId, object? before = null, object? after = null, string? note = null)
    {
        var entry = new AuditEntry
        {
            At = at,
            UserId = userId,
            UserName = userName,
            Action = action,
            EntityType = entityType,
            EntityId = entityId,
            BeforeJson = Serialize(before),
            AfterJson = Serialize(after),
            Note = note is { Length: > 1000 } ? note[..1000] : note,
        };
        db.AuditEntries.Add(entry);
        return entry;
    }

    private static string? Serialize(object? value) => value switch
    {
        null => null,
        string s => s,
        _ => JsonSerializer.Serialize(value, value.GetType(), Json),
    };
}

namespace OpsBot.Events;

/// <summary>
/// Another part of OpsBot asks for an interruption alert (e.g. a downstream form long overdue). The Alerts feature raises,
/// routes and delivers it; a request with the same <paramref name="Requester"/> and <paramref name="IdempotencyKey"/> as an
/// existing alert raises nothing. <paramref name="ServiceUrl"/> null: the Alerts default.
/// </summary>
public sealed record AlertRequested(
    string Account, string Reference, string Kind, string Impact, int Severity, string Description,
    string Requester, string IdempotencyKey, string? ServiceUrl, string? TenantId, int? CustomerId) : IDomainEvent;

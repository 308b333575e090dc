using Microsoft.EntityFrameworkCore;
using OpsBot.Data;
using OpsBot.Events;

namespace OpsBot.Alerts;

/// <summary>Raises the alert another part of OpsBot requested, in the requester's transaction; once per requester and idempotency key.</summary>
public sealed class AlertRequestHandler(AlertService alerts, OpsBotDbContext db) : IDomainEventHandler<AlertRequested>
{
    public async Task HandleAsync(AlertRequested request, CancellationToken ct)
    {
        if (await db.Alerts.AnyAsync(a => a.ApiClient == request.Requester && a.IdempotencyKey == request.IdempotencyKey, ct)) return;
        var input = new AlertInput(request.Account, request.Reference, request.Kind, request.Impact, request.Severity, request.Description);
        await alerts.RaiseAsync(input, AlertSource.Api, new Actor("opsbot", "OpsBot"), request.ServiceUrl ?? alerts.DefaultServiceUrl, request.TenantId,
            request.Requester, request.IdempotencyKey, restricted: request.Restricted, ct: ct);
    }
}

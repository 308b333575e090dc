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
        var customer = request.CustomerId is { } id ? await db.Customers.Include(c => c.Members).FirstOrDefaultAsync(c => c.Id == id, ct) : null;
        await alerts.RaiseAsync(input, customer, AlertSource.Api, new Actor("opsbot", "OpsBot"), request.ServiceUrl ?? alerts.DefaultServiceUrl, request.TenantId,
            request.Requester, request.IdempotencyKey, ct: ct);
    }
}

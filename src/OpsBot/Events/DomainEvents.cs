namespace OpsBot.Events;

/// <summary>
/// A fact one part of OpsBot publishes for another (<see cref="Data.OpsBotDbContext.Publish"/>): it is handled in the
/// transaction of the save that carries it, so the effect commits with the change that caused it, or not at all.
/// </summary>
public interface IDomainEvent;

public interface IDomainEventHandler<in TEvent> where TEvent : IDomainEvent
{
    /// <summary>Runs inside the publisher's transaction, on its store; changes made here are saved with it.</summary>
    Task HandleAsync(TEvent domainEvent, CancellationToken ct);
}

/// <summary>How a published event reaches its handlers (registered by <see cref="DomainEvents.AddDomainEventHandler{TEvent, THandler}"/>).</summary>
public sealed record DomainEventRoute(Type EventType, Func<IServiceProvider, IDomainEvent, CancellationToken, Task> Handle);

public static class DomainEvents
{
    public static IServiceCollection AddDomainEventHandler<TEvent, THandler>(this IServiceCollection services)
        where TEvent : IDomainEvent where THandler : class, IDomainEventHandler<TEvent>
    {
        services.AddScoped<THandler>();
        services.AddSingleton(new DomainEventRoute(typeof(TEvent), (sp, e, ct) => sp.GetRequiredService<THandler>().HandleAsync((TEvent)e, ct)));
        return services;
    }

    /// <summary>Hands <paramref name="domainEvent"/> to every handler registered for its type, in registration order.</summary>
    public static async Task DispatchAsync(IServiceProvider services, IDomainEvent domainEvent, CancellationToken ct)
    {
        foreach (var route in services.GetServices<DomainEventRoute>())
            if (route.EventType == domainEvent.GetType()) await route.Handle(services, domainEvent, ct);
    }
}

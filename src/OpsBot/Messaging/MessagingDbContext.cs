using Microsoft.EntityFrameworkCore;
using OpsBot.Messaging;

namespace OpsBot.Data;

public abstract partial class OpsBotDbContext
{
    public DbSet<OutboxMessage> OutboxMessages => Set<OutboxMessage>();
}

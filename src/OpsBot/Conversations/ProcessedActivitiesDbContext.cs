using Microsoft.EntityFrameworkCore;
using OpsBot.Conversations;

namespace OpsBot.Data;

public abstract partial class OpsBotDbContext
{
    public DbSet<ProcessedActivity> ProcessedActivities => Set<ProcessedActivity>();
}

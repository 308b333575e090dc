using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OpsBot.BotFramework;

namespace OpsBot.Conversations;

/// <summary>
/// An inbound activity already accepted (protocol doc §5.4): a redelivery with the same channel, conversation and activity id
/// is not run again and gets <see cref="ResponseStatus"/>/<see cref="ResponseBody"/>. Rows older than the retention are purged.
/// </summary>
public sealed class ProcessedActivity
{
    public long Id { get; set; }
    public required string ChannelId { get; set; }
    public required string ConversationId { get; set; }
    public required string ActivityId { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>Set when an invoke / expectReplies answer was stored; plain messages keep null (a duplicate gets 200 either way).</summary>
    public DateTime? CompletedAt { get; set; }
    /// <summary>HTTP status of the stored answer; null with <see cref="CompletedAt"/> set means "200, empty body".</summary>
    public int? ResponseStatus { get; set; }
    /// <summary>JSON body of the stored answer (invoke response, expectReplies activities).</summary>
    public string? ResponseBody { get; set; }
}

public sealed class ProcessedActivityConfiguration : IEntityTypeConfiguration<ProcessedActivity>
{
    public void Configure(EntityTypeBuilder<ProcessedActivity> b)
    {
        b.ToTable("ProcessedActivities");
        b.HasKey(p => p.Id);
        b.Property(p => p.ChannelId).HasMaxLength(InboundActivityKey.MaxChannelIdLength);
        b.Property(p => p.ConversationId).HasMaxLength(InboundActivityKey.MaxConversationIdLength);
        b.Property(p => p.ActivityId).HasMaxLength(InboundActivityKey.MaxActivityIdLength);
        // Unbounded on purpose: an invoke answer may carry a whole card, and truncating it would break the replay.
        b.Property(p => p.ResponseBody);
        b.HasIndex(p => new { p.ChannelId, p.ConversationId, p.ActivityId }).IsUnique();
        b.HasIndex(p => p.CreatedAt);
    }
}

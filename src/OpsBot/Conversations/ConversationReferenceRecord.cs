using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OpsBot.Conversations;

/// <summary>
/// Where and how OpsBot can reach a conversation later (protocol doc §8), keyed by conversation id
/// (channel threads are stored under their channel). Refreshed from every inbound activity.
/// </summary>
public sealed class ConversationReferenceRecord
{
    public required string ConversationId { get; set; }
    public required string ServiceUrl { get; set; }
    public required string ChannelId { get; set; }
    /// <summary><c>personal</c>, <c>groupChat</c> or <c>channel</c>.</summary>
    public string? ConversationType { get; set; }
    public string? TenantId { get; set; }
    public string? BotId { get; set; }
    /// <summary>The user of a personal chat (<c>29:…</c>); null for group chats and channels.</summary>
    public string? UserId { get; set; }
    public string? UserAadObjectId { get; set; }
    public string? TeamId { get; set; }
    public string? TeamAadGroupId { get; set; }
    public string? TeamsChannelId { get; set; }
    /// <summary>The channel picked when the app was installed in a team.</summary>
    public string? SelectedChannelId { get; set; }
    public bool IsActive { get; set; } = true;
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? DeactivatedAt { get; set; }
    public DateTime? WelcomedAt { get; set; }
}

public sealed class ConversationReferenceRecordConfiguration : IEntityTypeConfiguration<ConversationReferenceRecord>
{
    public void Configure(EntityTypeBuilder<ConversationReferenceRecord> b)
    {
        b.ToTable("ConversationReferences");
        b.HasKey(r => r.ConversationId);
        b.Property(r => r.ConversationId).HasMaxLength(400);
        b.Property(r => r.ServiceUrl).HasMaxLength(512);
        b.Property(r => r.ChannelId).HasMaxLength(32);
        b.Property(r => r.ConversationType).HasMaxLength(32);
        b.Property(r => r.TenantId).HasMaxLength(64);
        b.Property(r => r.BotId).HasMaxLength(256);
        b.Property(r => r.UserId).HasMaxLength(256);
        b.Property(r => r.UserAadObjectId).HasMaxLength(64);
        b.Property(r => r.TeamId).HasMaxLength(256);
        b.Property(r => r.TeamAadGroupId).HasMaxLength(64);
        b.Property(r => r.TeamsChannelId).HasMaxLength(256);
        b.Property(r => r.SelectedChannelId).HasMaxLength(256);
        b.HasIndex(r => r.UserId);
        b.HasIndex(r => r.UserAadObjectId);
        b.HasIndex(r => r.TeamId);
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OpsBot.Setup;

/// <summary>A row the Development demo created (entity type + key), so <c>OpsBot demo reset</c> removes exactly those.</summary>
public sealed class DemoRecord
{
    public long Id { get; set; }
    public required string EntityType { get; set; }
    public required string EntityId { get; set; }
    public DateTime CreatedAt { get; set; }
}

public sealed class DemoRecordConfiguration : IEntityTypeConfiguration<DemoRecord>
{
    public void Configure(EntityTypeBuilder<DemoRecord> b)
    {
        b.ToTable("DemoRecords");
        b.Property(r => r.EntityType).HasMaxLength(64);
        b.Property(r => r.EntityId).HasMaxLength(256);
        b.HasIndex(r => new { r.EntityType, r.EntityId }).IsUnique();
    }
}

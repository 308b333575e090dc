using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OpsBot.Commitments;

public sealed class CommitmentConfiguration : IEntityTypeConfiguration<Commitment>
{
    public void Configure(EntityTypeBuilder<Commitment> b)
    {
        b.ToTable("Commitments");
        b.Property(c => c.OpportunityId).HasMaxLength(64);
        b.HasIndex(c => c.OpportunityId).IsUnique();
        b.HasOne(c => c.Customer).WithMany().HasForeignKey(c => c.CustomerId).OnDelete(DeleteBehavior.Restrict);
        b.Property(c => c.CustomerName).HasMaxLength(200);
        b.Property(c => c.Segment).HasConversion<string>().HasMaxLength(16);
        b.Property(c => c.MasterAgreementRef).HasMaxLength(64);
        b.Property(c => c.CustomerPoNumber).HasMaxLength(64);
        b.HasIndex(c => new { c.CustomerPoNumber, c.CustomerId });
        b.Property(c => c.Currency).HasMaxLength(3);
        b.Property(c => c.ShipToSite).HasMaxLength(200);
        b.Property(c => c.BillToSite).HasMaxLength(200);
        b.Property(c => c.PaymentTerms).HasMaxLength(64);
        b.Property(c => c.AccountOwnerId).HasMaxLength(256);
        b.Property(c => c.AccountOwnerName).HasMaxLength(200);
        b.HasIndex(c => c.AccountOwnerId);
        b.Property(c => c.CreatedById).HasMaxLength(256);
        b.HasIndex(c => c.CreatedById);
        b.HasIndex(c => c.RequestedDeliveryDate);
        b.Property(c => c.ConfirmedWarnings).HasMaxLength(500);
        b.HasIndex(c => c.CreatedAt);
        b.Property(c => c.CreatedByName).HasMaxLength(200);
        b.Property(c => c.UpdatedById).HasMaxLength(256);
        b.Property(c => c.UpdatedByName).HasMaxLength(200);
        b.Property(c => c.CaptureFormId).HasMaxLength(64);
        b.HasIndex(c => c.CaptureFormId).IsUnique();
        b.Property(c => c.ServiceUrl).HasMaxLength(512);
        b.Property(c => c.TenantId).HasMaxLength(64);
        b.Property(c => c.SummaryConversationId).HasMaxLength(256);
        b.Property(c => c.SummaryActivityId).HasMaxLength(128);
        b.HasMany(c => c.Enrichments).WithOne().HasForeignKey(e => e.CommitmentId).OnDelete(DeleteBehavior.Restrict);
        b.HasMany(c => c.Forms).WithOne(f => f.Commitment).HasForeignKey(f => f.CommitmentId).OnDelete(DeleteBehavior.Restrict);
    }
}

public sealed class DownstreamFormConfiguration : IEntityTypeConfiguration<DownstreamForm>
{
    public void Configure(EntityTypeBuilder<DownstreamForm> b)
    {
        b.ToTable("DownstreamForms");
        b.Property(f => f.Kind).HasConversion<string>().HasMaxLength(32);
        b.Property(f => f.Role).HasConversion<string>().HasMaxLength(32);
        b.Property(f => f.Status).HasConversion<string>().HasMaxLength(16);
        b.Property(f => f.ConfirmedById).HasMaxLength(256);
        b.Property(f => f.ConfirmedByName).HasMaxLength(200);
        b.HasIndex(f => new { f.CommitmentId, f.Kind }).IsUnique();
        b.HasIndex(f => new { f.Status, f.DueAt });
        b.HasIndex(f => new { f.Role, f.Status });
    }
}

public sealed class EnrichmentConfiguration : IEntityTypeConfiguration<Enrichment>
{
    public void Configure(EntityTypeBuilder<Enrichment> b)
    {
        b.ToTable("Enrichments");
        b.Property(e => e.OpportunityId).HasMaxLength(64);
        b.Property(e => e.Field).HasMaxLength(32);
        b.Property(e => e.Value).HasMaxLength(1000);
        b.Property(e => e.PreviousValue).HasMaxLength(1000);
        b.Property(e => e.ById).HasMaxLength(256);
        b.Property(e => e.ByName).HasMaxLength(200);
        b.Property(e => e.Note).HasMaxLength(1000);
        b.HasIndex(e => new { e.CommitmentId, e.Id });
        b.HasIndex(e => e.At);
    }
}

public sealed class RoleAssignmentConfiguration : IEntityTypeConfiguration<RoleAssignment>
{
    public void Configure(EntityTypeBuilder<RoleAssignment> b)
    {
        b.ToTable("RoleAssignments");
        b.Property(r => r.Role).HasConversion<string>().HasMaxLength(32);
        b.Property(r => r.UserId).HasMaxLength(256);
        b.Property(r => r.ChannelId).HasMaxLength(256);
        b.HasIndex(r => new { r.Role, r.UserId });
        b.HasIndex(r => r.UserId);
    }
}

public sealed class ErpFeedEntryConfiguration : IEntityTypeConfiguration<ErpFeedEntry>
{
    public void Configure(EntityTypeBuilder<ErpFeedEntry> b)
    {
        b.ToTable("ErpFeed");
        b.Property(e => e.OpportunityId).HasMaxLength(64);
        b.HasOne(e => e.Commitment).WithMany().HasForeignKey(e => e.CommitmentId).OnDelete(DeleteBehavior.Restrict);
        b.HasIndex(e => new { e.CommitmentId, e.Version }).IsUnique();
        b.HasIndex(e => e.Sequence).IsUnique();
    }
}

public sealed class ErpCursorConfiguration : IEntityTypeConfiguration<ErpCursor>
{
    public void Configure(EntityTypeBuilder<ErpCursor> b)
    {
        b.ToTable("ErpCursors");
        b.HasKey(c => c.Name);
        b.Property(c => c.Name).HasMaxLength(64);
        b.Property(c => c.LastError).HasMaxLength(1000);
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OpsBot.Metrics;

/// <summary>
/// A short-lived link that downloads one thing for one person without an API key (a metrics CSV, a chart, the escalation
/// report): only the SHA-256 of its token is stored, with what it was made for, so it cannot be bent to other data.
/// </summary>
public sealed class DownloadLink
{
    public long Id { get; set; }
    public required string Hash { get; set; }
    /// <summary>metrics-csv, metrics-chart or escalation-report.</summary>
    public required string Kind { get; set; }
    /// <summary>What to produce, as JSON (scope, period, chart …), fixed when the link was made.</summary>
    public required string QueryJson { get; set; }
    /// <summary>The person it was made for: their access rules apply when it is used.</summary>
    public required string ViewerId { get; set; }
    public string? ViewerAadId { get; set; }
    public string ViewerName { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public int Uses { get; set; }
}

/// <summary>Recognition for a customer result: who thanked whom, for which commitment, complaint or alert.</summary>
public sealed class Kudos
{
    public long Id { get; set; }
    public required string FromId { get; set; }
    public string FromName { get; set; } = "";
    public required string ToId { get; set; }
    public string ToName { get; set; } = "";
    public required string Reason { get; set; }
    /// <summary>Commitment, Escalation or Alert.</summary>
    public required string ResultType { get; set; }
    /// <summary>OPP-…, ESC-… or the alert number.</summary>
    public required string ResultRef { get; set; }
    public int? CustomerId { get; set; }
    public DateTime At { get; set; }
}

/// <summary>One period of one scheduled digest: the unique (name, period) row is the timer, so each period goes out once across restarts and instances.</summary>
public sealed class DigestRun
{
    public long Id { get; set; }
    public required string Name { get; set; }
    /// <summary>The period it covers, e.g. 2026-12-04 (daily), 2026-W49 (weekly), 2026-12 (monthly).</summary>
    public required string PeriodKey { get; set; }
    /// <summary>When it was due (UTC).</summary>
    public DateTime DueAt { get; set; }
    public DateTime ClaimedAt { get; set; }
    public string ClaimedBy { get; set; } = "";
    public DateTime? SentAt { get; set; }
    /// <summary>Sent after its time because the server was down then.</summary>
    public bool Late { get; set; }
    public int Recipients { get; set; }
}

public sealed class DownloadLinkConfiguration : IEntityTypeConfiguration<DownloadLink>
{
    public void Configure(EntityTypeBuilder<DownloadLink> b)
    {
        b.ToTable("DownloadLinks");
        b.Property(x => x.Hash).HasMaxLength(64);
        b.HasIndex(x => x.Hash).IsUnique();
        b.Property(x => x.Kind).HasMaxLength(32);
        b.Property(x => x.QueryJson).HasMaxLength(2000);
        b.Property(x => x.ViewerId).HasMaxLength(256);
        b.Property(x => x.ViewerAadId).HasMaxLength(64);
        b.Property(x => x.ViewerName).HasMaxLength(256);
        b.HasIndex(x => x.ExpiresAt);
    }
}

public sealed class KudosConfiguration : IEntityTypeConfiguration<Kudos>
{
    public void Configure(EntityTypeBuilder<Kudos> b)
    {
        b.ToTable("Kudos");
        b.Property(x => x.FromId).HasMaxLength(256);
        b.Property(x => x.FromName).HasMaxLength(256);
        b.Property(x => x.ToId).HasMaxLength(256);
        b.Property(x => x.ToName).HasMaxLength(256);
        b.Property(x => x.Reason).HasMaxLength(1000);
        b.Property(x => x.ResultType).HasMaxLength(32);
        b.Property(x => x.ResultRef).HasMaxLength(100);
        b.HasIndex(x => new { x.ToId, x.At });
        b.HasIndex(x => x.At);
        b.HasOne<Customers.Customer>().WithMany().HasForeignKey(x => x.CustomerId).OnDelete(DeleteBehavior.Restrict);
    }
}

public sealed class DigestRunConfiguration : IEntityTypeConfiguration<DigestRun>
{
    public void Configure(EntityTypeBuilder<DigestRun> b)
    {
        b.ToTable("DigestRuns");
        b.Property(x => x.Name).HasMaxLength(64);
        b.Property(x => x.PeriodKey).HasMaxLength(32);
        b.Property(x => x.ClaimedBy).HasMaxLength(128);
        b.HasIndex(x => new { x.Name, x.PeriodKey }).IsUnique();
    }
}

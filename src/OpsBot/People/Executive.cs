using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OpsBot.People;
using OpsBot.Customers;

namespace OpsBot.People;

/// <summary>An executive who personally works customer complaints.</summary>
public sealed class Executive : OpsBot.Data.IVersioned
{
    /// <summary>Short handle used in commands ("ann"); for Graph-sourced executives the Entra object id.</summary>
    public required string Id { get; set; }
    public required string DisplayName { get; set; }
    /// <summary>Teams user id (29:…) or Entra object id: how OpsBot reaches the executive 1:1.</summary>
    public required string UserId { get; set; }
    public string? AadObjectId { get; set; }
    public string? Email { get; set; }
    public int MonthlyCapacity { get; set; } = 4;
    /// <summary>Who takes over when this executive misses an SLA (executive id).</summary>
    public string? BackupExecutiveId { get; set; }
    /// <summary>The manager's Entra object id (Graph source); the manager is the backup when no backup is set.</summary>
    public string? ManagerAadObjectId { get; set; }
    public string? ManagerName { get; set; }
    public DirectorySource Source { get; set; }
    public bool Active { get; set; } = true;
    public DateTime UpdatedAt { get; set; }
    public int Version { get; set; }

    public List<ExecutiveSponsorship> Sponsorships { get; set; } = [];
    public List<ExecutiveDelegate> Delegates { get; set; } = [];
    public List<ExecutiveTimeOff> TimeOff { get; set; } = [];

    public bool IsAway(DateOnly day) => TimeOff.Any(t => t.From <= day && day <= t.To);

    public ExecutiveTimeOff? AwayOn(DateOnly day) => TimeOff.FirstOrDefault(t => t.From <= day && day <= t.To);

    /// <summary>True when <paramref name="userId"/> / <paramref name="aadObjectId"/> identify this executive.</summary>
    public bool Is(string? userId, string? aadObjectId) => new PersonRef(UserId, AadObjectId).Matches(userId, aadObjectId);

    public bool IsDelegate(string? userId, string? aadObjectId) => Delegates.Any(d => new PersonRef(d.UserId).Matches(userId, aadObjectId));
}

public enum DirectorySource { Config, Admin, Graph }

public sealed class ExecutiveSponsorship
{
    public long Id { get; set; }
    public required string ExecutiveId { get; set; }
    public int CustomerId { get; set; }
    public Customer Customer { get; set; } = null!;
}

public sealed class ExecutiveDelegate
{
    public long Id { get; set; }
    public required string ExecutiveId { get; set; }
    /// <summary>Teams user id (29:…) or Entra object id of the delegate.</summary>
    public required string UserId { get; set; }
}

public sealed class ExecutiveTimeOff
{
    public long Id { get; set; }
    public required string ExecutiveId { get; set; }
    public DateOnly From { get; set; }
    public DateOnly To { get; set; }
}

public sealed class ExecutiveConfiguration : IEntityTypeConfiguration<Executive>
{
    public void Configure(EntityTypeBuilder<Executive> b)
    {
        b.ToTable("Executives");
        b.HasKey(e => e.Id);
        b.Property(e => e.Id).HasMaxLength(64);
        b.Property(e => e.DisplayName).HasMaxLength(200);
        b.Property(e => e.UserId).HasMaxLength(256);
        b.Property(e => e.AadObjectId).HasMaxLength(64);
        b.Property(e => e.Email).HasMaxLength(256);
        b.Property(e => e.BackupExecutiveId).HasMaxLength(64);
        b.Property(e => e.ManagerAadObjectId).HasMaxLength(64);
        b.Property(e => e.ManagerName).HasMaxLength(200);
        b.Property(e => e.Source).HasConversion<string>().HasMaxLength(16);
        b.HasIndex(e => e.UserId);
        b.HasIndex(e => e.AadObjectId);
        b.HasMany(e => e.Sponsorships).WithOne().HasForeignKey(s => s.ExecutiveId).OnDelete(DeleteBehavior.Cascade);
        b.HasMany(e => e.Delegates).WithOne().HasForeignKey(s => s.ExecutiveId).OnDelete(DeleteBehavior.Cascade);
        b.HasMany(e => e.TimeOff).WithOne().HasForeignKey(s => s.ExecutiveId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class ExecutiveSponsorshipConfiguration : IEntityTypeConfiguration<ExecutiveSponsorship>
{
    public void Configure(EntityTypeBuilder<ExecutiveSponsorship> b)
    {
        b.ToTable("ExecutiveSponsorships");
        b.Property(s => s.ExecutiveId).HasMaxLength(64);
        b.HasIndex(s => s.CustomerId).IsUnique();
        b.HasOne(s => s.Customer).WithMany().HasForeignKey(s => s.CustomerId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class ExecutiveDelegateConfiguration : IEntityTypeConfiguration<ExecutiveDelegate>
{
    public void Configure(EntityTypeBuilder<ExecutiveDelegate> b)
    {
        b.ToTable("ExecutiveDelegates");
        b.Property(s => s.ExecutiveId).HasMaxLength(64);
        b.Property(s => s.UserId).HasMaxLength(256);
        b.HasIndex(s => new { s.ExecutiveId, s.UserId }).IsUnique();
        b.HasIndex(s => s.UserId);
    }
}

public sealed class ExecutiveTimeOffConfiguration : IEntityTypeConfiguration<ExecutiveTimeOff>
{
    public void Configure(EntityTypeBuilder<ExecutiveTimeOff> b)
    {
        b.ToTable("ExecutiveTimeOff");
        b.Property(s => s.ExecutiveId).HasMaxLength(64);
        b.HasIndex(s => new { s.ExecutiveId, s.From });
    }
}

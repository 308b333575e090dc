using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OpsBot.People;

/// <summary>An OpsBot admin kept in the store (besides <c>People:Admins</c>): the first person to install OpsBot, or one named later.</summary>
public sealed class Admin
{
    public long Id { get; set; }
    /// <summary>Teams user id (29:…).</summary>
    public required string UserId { get; set; }
    public string? AadObjectId { get; set; }
    public string? Name { get; set; }
    public string? TenantId { get; set; }
    public DateTime AddedAt { get; set; }
    /// <summary>Who made them admin; <c>install</c> for the first installer.</summary>
    public required string AddedBy { get; set; }

    public PersonRef Person => new(UserId, AadObjectId);
}

public sealed class AdminConfiguration : IEntityTypeConfiguration<Admin>
{
    public void Configure(EntityTypeBuilder<Admin> b)
    {
        b.ToTable("Admins");
        b.Property(a => a.UserId).HasMaxLength(256);
        b.HasIndex(a => a.UserId).IsUnique();
        b.Property(a => a.AadObjectId).HasMaxLength(64);
        b.Property(a => a.Name).HasMaxLength(200);
        b.Property(a => a.TenantId).HasMaxLength(64);
        b.Property(a => a.AddedBy).HasMaxLength(256);
        b.Ignore(a => a.Person);
    }
}

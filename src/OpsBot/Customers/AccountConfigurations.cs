using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OpsBot.Customers;

public sealed class AccountConfiguration : IEntityTypeConfiguration<Account>
{
    public void Configure(EntityTypeBuilder<Account> b)
    {
        b.ToTable("Accounts");
        b.Property(a => a.Number).HasMaxLength(32);
        b.HasIndex(a => a.Number).IsUnique();
        b.Property(a => a.Name).HasMaxLength(200);
        b.Property(a => a.Segment).HasConversion<string>().HasMaxLength(16);
        b.Property(a => a.MasterAgreementRef).HasMaxLength(64);
        b.Property(a => a.PaymentTerms).HasMaxLength(64);
        b.HasMany(a => a.Members).WithOne().HasForeignKey(m => m.AccountId).OnDelete(DeleteBehavior.Cascade);
        b.HasMany(a => a.Sites).WithOne().HasForeignKey(s => s.AccountId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class AccountMemberConfiguration : IEntityTypeConfiguration<AccountMember>
{
    public void Configure(EntityTypeBuilder<AccountMember> b)
    {
        b.ToTable("AccountMembers");
        b.Property(m => m.UserId).HasMaxLength(256);
        b.HasIndex(m => new { m.AccountId, m.UserId }).IsUnique();
    }
}

public sealed class AccountSiteConfiguration : IEntityTypeConfiguration<AccountSite>
{
    public void Configure(EntityTypeBuilder<AccountSite> b)
    {
        b.ToTable("AccountSites");
        b.Property(s => s.Kind).HasConversion<string>().HasMaxLength(16);
        b.Property(s => s.Name).HasMaxLength(200);
        b.HasIndex(s => new { s.AccountId, s.Kind, s.Name }).IsUnique();
    }
}

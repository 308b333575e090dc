using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OpsBot.Customers;

public sealed class CustomerConfiguration : IEntityTypeConfiguration<Customer>
{
    public void Configure(EntityTypeBuilder<Customer> b)
    {
        b.ToTable("Customers");
        b.Property(c => c.Number).HasMaxLength(32);
        b.HasIndex(c => c.Number).IsUnique();
        b.Property(c => c.Name).HasMaxLength(200);
        b.Property(c => c.LegalName).HasMaxLength(200);
        b.Property(c => c.SearchName).HasMaxLength(200);
        b.HasIndex(c => c.SearchName);
        b.Property(c => c.Segment).HasConversion<string>().HasMaxLength(16);
        b.Property(c => c.Industry).HasMaxLength(100);
        b.Property(c => c.OwnerId).HasMaxLength(256);
        b.Property(c => c.OwnerName).HasMaxLength(200);
        b.Property(c => c.MasterAgreementRef).HasMaxLength(64);
        b.Property(c => c.PaymentTerms).HasMaxLength(64);
        b.HasOne<Customer>().WithMany().HasForeignKey(c => c.ParentId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<Customer>().WithMany().HasForeignKey(c => c.MergedIntoId).OnDelete(DeleteBehavior.Restrict);
        b.HasMany(c => c.Members).WithOne().HasForeignKey(m => m.CustomerId).OnDelete(DeleteBehavior.Cascade);
        b.HasMany(c => c.Sites).WithOne().HasForeignKey(s => s.CustomerId).OnDelete(DeleteBehavior.Cascade);
        b.HasMany(c => c.Contacts).WithOne().HasForeignKey(s => s.CustomerId).OnDelete(DeleteBehavior.Cascade);
        b.HasMany(c => c.Identifiers).WithOne().HasForeignKey(s => s.CustomerId).OnDelete(DeleteBehavior.Cascade);
        b.HasMany(c => c.NameTokens).WithOne().HasForeignKey(t => t.CustomerId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class CustomerMemberConfiguration : IEntityTypeConfiguration<CustomerMember>
{
    public void Configure(EntityTypeBuilder<CustomerMember> b)
    {
        b.ToTable("CustomerMembers");
        b.Property(m => m.Kind).HasConversion<string>().HasMaxLength(16);
        b.Property(m => m.Key).HasMaxLength(256);
        b.HasIndex(m => new { m.CustomerId, m.Kind, m.Key }).IsUnique();
    }
}

public sealed class CustomerSiteConfiguration : IEntityTypeConfiguration<CustomerSite>
{
    public void Configure(EntityTypeBuilder<CustomerSite> b)
    {
        b.ToTable("CustomerSites");
        b.Property(s => s.Kind).HasConversion<string>().HasMaxLength(16);
        b.Property(s => s.Name).HasMaxLength(200);
        b.Property(s => s.Country).HasMaxLength(64);
        b.Property(s => s.TimeZone).HasMaxLength(64);
        b.HasIndex(s => new { s.CustomerId, s.Kind, s.Name }).IsUnique();
    }
}

public sealed class CustomerContactConfiguration : IEntityTypeConfiguration<CustomerContact>
{
    public void Configure(EntityTypeBuilder<CustomerContact> b)
    {
        b.ToTable("CustomerContacts");
        b.Property(c => c.Name).HasMaxLength(200);
        b.Property(c => c.Role).HasMaxLength(100);
        b.Property(c => c.Email).HasMaxLength(256);
        b.Property(c => c.Phone).HasMaxLength(32);
        b.HasIndex(c => c.Email);
    }
}

public sealed class CustomerIdentifierConfiguration : IEntityTypeConfiguration<CustomerIdentifier>
{
    public void Configure(EntityTypeBuilder<CustomerIdentifier> b)
    {
        b.ToTable("CustomerIdentifiers");
        b.Property(i => i.Kind).HasConversion<string>().HasMaxLength(16);
        b.Property(i => i.Value).HasMaxLength(256);
        b.HasIndex(i => new { i.Kind, i.Value }).IsUnique();
        b.HasIndex(i => new { i.Value, i.CustomerId });
    }
}

public sealed class CustomerNameTokenConfiguration : IEntityTypeConfiguration<CustomerNameToken>
{
    public void Configure(EntityTypeBuilder<CustomerNameToken> b)
    {
        b.ToTable("CustomerNameTokens");
        b.HasKey(t => new { t.Token, t.CustomerId });
        b.Property(t => t.Token).HasMaxLength(64);
        b.HasIndex(t => t.CustomerId);
    }
}

public sealed class CustomerMergeConfiguration : IEntityTypeConfiguration<CustomerMerge>
{
    public void Configure(EntityTypeBuilder<CustomerMerge> b)
    {
        b.ToTable("CustomerMerges");
        b.Property(m => m.ById).HasMaxLength(256);
        b.Property(m => m.ByName).HasMaxLength(200);
        b.HasIndex(m => new { m.MergedId, m.UndoneAt });
        b.HasOne<Customer>().WithMany().HasForeignKey(m => m.SurvivorId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<Customer>().WithMany().HasForeignKey(m => m.MergedId).OnDelete(DeleteBehavior.Restrict);
    }
}

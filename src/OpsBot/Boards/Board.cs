using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OpsBot.Customers;

namespace OpsBot.Boards;

/// <summary>What a board shows: the whole operation, one customer (with its subsidiaries), a region (countries of the customers' sites) or a team (customers owned by its people).</summary>
public enum BoardScope { All, Customer, Region, Team }

/// <summary>A named, saved view of the operation for TV monitors, the Teams tab and other displays (<c>board add</c>).</summary>
public sealed class Board
{
    public int Id { get; set; }
    /// <summary>Lower case, letters, digits and dashes: the page is <c>/boards/{Name}</c>.</summary>
    public required string Name { get; set; }
    public required string Title { get; set; }
    public BoardScope Scope { get; set; }
    /// <summary>The customer (<see cref="BoardScope.Customer"/>).</summary>
    public int? CustomerId { get; set; }
    /// <summary>Country codes (<see cref="BoardScope.Region"/>) or people ids (<see cref="BoardScope.Team"/>), comma separated.</summary>
    public string? ScopeValues { get; set; }
    /// <summary>An admin allowed kiosk displays of this board to show restricted customers; otherwise kiosks leave them out.</summary>
    public bool KioskShowsRestricted { get; set; }
    public DateTime CreatedAt { get; set; }
    public required string CreatedBy { get; set; }
    public List<BoardToken> Tokens { get; set; } = [];

    public IReadOnlyList<string> Values => (ScopeValues ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>A kiosk display's read-only access to one board: only the SHA-256 of the token is stored.</summary>
public sealed class BoardToken
{
    public int Id { get; set; }
    public int BoardId { get; set; }
    public required string Hash { get; set; }
    /// <summary>Where the display hangs ("lobby TV"), for the token list.</summary>
    public string Label { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    public required string CreatedBy { get; set; }
    public DateTime? RevokedAt { get; set; }
    public DateTime? LastUsedAt { get; set; }
}

public sealed class BoardConfiguration : IEntityTypeConfiguration<Board>
{
    public void Configure(EntityTypeBuilder<Board> b)
    {
        b.ToTable("Boards");
        b.Property(x => x.Name).HasMaxLength(64);
        b.HasIndex(x => x.Name).IsUnique();
        b.Property(x => x.Title).HasMaxLength(100);
        b.Property(x => x.Scope).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.ScopeValues).HasMaxLength(2000);
        b.Property(x => x.CreatedBy).HasMaxLength(256);
        b.HasOne<Customer>().WithMany().HasForeignKey(x => x.CustomerId).OnDelete(DeleteBehavior.Restrict);
        b.HasMany(x => x.Tokens).WithOne().HasForeignKey(t => t.BoardId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed class BoardTokenConfiguration : IEntityTypeConfiguration<BoardToken>
{
    public void Configure(EntityTypeBuilder<BoardToken> b)
    {
        b.ToTable("BoardTokens");
        b.Property(x => x.Hash).HasMaxLength(64);
        b.HasIndex(x => x.Hash).IsUnique();
        b.Property(x => x.Label).HasMaxLength(100);
        b.Property(x => x.CreatedBy).HasMaxLength(256);
    }
}

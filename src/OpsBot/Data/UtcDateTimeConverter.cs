using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace OpsBot.Data;

/// <summary>Every timestamp is stored as UTC and read back with <see cref="DateTimeKind.Utc"/>.</summary>
public sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
    v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
    v => DateTime.SpecifyKind(v, DateTimeKind.Utc));

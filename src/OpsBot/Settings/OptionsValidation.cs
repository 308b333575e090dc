using System.Collections;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.Extensions.Options;

namespace OpsBot.Settings;

public static class OptionsValidation
{
    /// <summary>
    /// Binds <typeparamref name="T"/> to <paramref name="section"/> and checks it when the app starts: a value that does not
    /// convert, or breaks a data annotation on the class or on one of its nested options, stops the start with a message
    /// naming the full configuration key (e.g. <c>Messaging:HeartbeatInterval</c>). Chain <c>.Validate</c> for cross-field rules.
    /// </summary>
    public static OptionsBuilder<T> AddValidatedOptions<T>(this IServiceCollection services, IConfiguration configuration, string section) where T : class
    {
        services.AddSingleton<IValidateOptions<T>>(new KeyedAnnotations<T>(section));
        return services.AddOptions<T>().Bind(configuration.GetSection(section)).ValidateOnStart();
    }

    /// <inheritdoc cref="AddValidatedOptions{T}(IServiceCollection, IConfiguration, string)"/>
    public static OptionsBuilder<T> AddValidatedOptions<T>(this IServiceCollection services, string section) where T : class
    {
        services.AddSingleton<IValidateOptions<T>>(new KeyedAnnotations<T>(section));
        return services.AddOptions<T>().BindConfiguration(section).ValidateOnStart();
    }

    /// <summary>Data annotations of an options object graph, each failure prefixed with its configuration key.</summary>
    private sealed class KeyedAnnotations<T>(string section) : IValidateOptions<T> where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var failures = new List<string>();
            Check(options, section, failures);
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }

        private static void Check(object value, string key, List<string> failures)
        {
            var results = new List<ValidationResult>();
            Validator.TryValidateObject(value, new ValidationContext(value), results, validateAllProperties: true);
            foreach (var r in results)
                foreach (var member in r.MemberNames.DefaultIfEmpty(""))
                    failures.Add($"{(member.Length == 0 ? key : key + ":" + member)}: {r.ErrorMessage}");

            foreach (var p in value.GetType().GetProperties().Where(p => p.CanRead && p.GetIndexParameters().Length == 0))
            {
                switch (p.GetValue(value))
                {
                    case IDictionary map:
                        foreach (DictionaryEntry e in map)
                            if (IsOptions(e.Value)) Check(e.Value!, $"{key}:{p.Name}:{e.Key}", failures);
                        break;
                    case IEnumerable list and not string:
                        var i = 0;
                        foreach (var item in list)
                        {
                            if (IsOptions(item)) Check(item!, $"{key}:{p.Name}:{i.ToString(CultureInfo.InvariantCulture)}", failures);
                            i++;
                        }
                        break;
                    case { } nested when IsOptions(nested):
                        Check(nested, $"{key}:{p.Name}", failures);
                        break;
                }
            }
        }

        private static bool IsOptions(object? value) =>
            value is not null && value.GetType() is { IsClass: true } t && t != typeof(string) && t.Namespace?.StartsWith("OpsBot", StringComparison.Ordinal) == true;
    }
}

/// <summary>The value must be greater than zero (a duration, count, rate or amount).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class PositiveAttribute : ValidationAttribute
{
    public PositiveAttribute() : base("must be greater than zero") { }

    public override bool IsValid(object? value) => value switch
    {
        null => true,
        TimeSpan t => t > TimeSpan.Zero,
        int i => i > 0,
        long l => l > 0,
        double d => d > 0,
        decimal m => m > 0,
        _ => false,
    };
}

/// <summary>The value must not be negative (a duration, count or amount where zero turns something off).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class NotNegativeAttribute : ValidationAttribute
{
    public NotNegativeAttribute() : base("must not be negative") { }

    public override bool IsValid(object? value) => value switch
    {
        null => true,
        TimeSpan t => t >= TimeSpan.Zero,
        int i => i >= 0,
        long l => l >= 0,
        double d => d >= 0,
        decimal m => m >= 0,
        _ => false,
    };
}

/// <summary>The value, when set, must be an absolute http(s) URL.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class AbsoluteUrlAttribute : ValidationAttribute
{
    public AbsoluteUrlAttribute() : base("must be an absolute http or https URL") { }

    public override bool IsValid(object? value) =>
        value is null || (value is string s && (s.Length == 0 || (Uri.TryCreate(s, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")));
}

using Microsoft.Extensions.Options;

namespace Realtime.Relay.Configuration;

/// <summary>Settings that can say what is wrong with them: one sentence per bad value, naming what to set.</summary>
public interface ICheckedSettings
{
    IEnumerable<string> Problems();
}

/// <summary>
/// The relay's one way to read settings: a class bound from its configuration section, checked
/// when the relay starts (<see cref="ICheckedSettings"/>), injected as <c>IOptions&lt;T&gt;</c> or as
/// the checked value itself.
/// </summary>
public static class SettingsSetup
{
    /// <summary>
    /// The relay-wide settings, with the documented variable names mapped to their keys. Returns
    /// the Pusher settings as bound now, unchecked, for the one decision taken while services are
    /// registered (with Pusher off, no feed, sender or sweeper exists); they are checked at start.
    /// </summary>
    public static PusherSettings AddRelaySettings(this WebApplicationBuilder builder)
    {
        builder.Configuration.AddDocumentedEnvironmentNames();
        builder.Services.AddSettings<RelaySettings>(RelaySettings.Section);
        builder.Services.AddSettings<StoreSettings>(RelaySettings.Section);
        builder.Services.AddSettings<JwtSettings>(JwtSettings.Section);
        builder.Services.AddSettings<PusherSettings>(PusherSettings.Section);
        return builder.Configuration.GetSection(PusherSettings.Section).Get<PusherSettings>() ?? new PusherSettings();
    }

    public static IServiceCollection AddSettings<T>(this IServiceCollection services, string section) where T : class
    {
        services.AddOptions<T>().BindConfiguration(section).ValidateOnStart();
        if (typeof(ICheckedSettings).IsAssignableFrom(typeof(T)))
            services.AddSingleton<IValidateOptions<T>, ProblemsValidator<T>>();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<T>>().Value);
        return services;
    }

    /// <summary>
    /// Checks every setting now, before anything opens or listens, so start-up reports all bad
    /// values together (<see cref="ConfigurationErrors"/>) rather than the first one some service reads.
    /// </summary>
    public static WebApplication CheckSettings(this WebApplication app)
    {
        app.Services.GetService<IStartupValidator>()?.Validate();
        return app;
    }

    private sealed class ProblemsValidator<T> : IValidateOptions<T> where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var problems = ((ICheckedSettings)options).Problems().ToList();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}

/// <summary>What Program prints when settings are bad: one line per bad value, no stack trace.</summary>
public static class ConfigurationErrors
{
    /// <summary>The problems found in <paramref name="e"/>, or null when it is not about settings.</summary>
    public static IReadOnlyList<string>? Of(Exception? e) => e switch
    {
        null => null,
        OptionsValidationException o => o.Failures.ToList(),
        // The binder's own words for a number that is not one: they name the key and the value.
        InvalidOperationException i when i.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal) => [i.Message],
        AggregateException a when a.InnerExceptions.Select(Of).ToList() is var each && each.All(x => x is not null) =>
            each.SelectMany(x => x!).Distinct().ToList(),
        _ => Of(e.InnerException),
    };
}

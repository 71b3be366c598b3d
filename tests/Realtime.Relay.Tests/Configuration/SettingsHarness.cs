using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Realtime.Relay.Configuration;

namespace Realtime.Relay.Tests.Configuration;

/// <summary>Settings bound and checked exactly as the relay does (<see cref="SettingsSetup.AddSettings{T}"/>), from given values.</summary>
public static class SettingsHarness
{
    public static ServiceProvider Services(IEnumerable<KeyValuePair<string, string?>> values, Action<IServiceCollection> register)
    {
        var config = EnvironmentNames.Apply(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
        var services = new ServiceCollection().AddSingleton<IConfiguration>(config);
        register(services);
        return services.BuildServiceProvider();
    }

    /// <summary>The settings as bound, before the start-up check (which <see cref="StartupProblems"/> runs).</summary>
    public static T Bind<T>(string section, params (string Key, string? Value)[] values) where T : class, new()
    {
        using var sp = Services(values.Select(v => KeyValuePair.Create(v.Key, v.Value)), s => s.AddSettings<T>(section));
        var settings = new T();
        foreach (var configure in sp.GetServices<IConfigureOptions<T>>()) configure.Configure(settings);
        return settings;
    }

    /// <summary>Every problem the start-up check reports, as the relay prints them (one per line).</summary>
    public static IReadOnlyList<string> StartupProblems(Action<IServiceCollection> register, params (string Key, string? Value)[] values)
    {
        using var sp = Services(values.Select(v => KeyValuePair.Create(v.Key, v.Value)), register);
        try
        {
            sp.GetRequiredService<IStartupValidator>().Validate();
            return [];
        }
        catch (Exception e) when (ConfigurationErrors.Of(e) is { } problems)
        {
            return problems;
        }
    }
}

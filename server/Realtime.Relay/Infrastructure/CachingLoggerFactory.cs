using System.Collections.Concurrent;

namespace Realtime.Relay.Infrastructure;

/// <summary>
/// One logger per category. Serilog's logger factory makes a new logger, with its own caches, on
/// every <see cref="CreateLogger"/>, and ASP.NET Core's authentication handlers are made per request
/// and ask for one each time: a held long-poll kept two of them (about 2 KB) for its whole wait
/// (docs/performance.md).
/// </summary>
public sealed class CachingLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    private readonly ConcurrentDictionary<string, ILogger> _loggers = new(StringComparer.Ordinal);

    public ILogger CreateLogger(string categoryName) => _loggers.GetOrAdd(categoryName, inner.CreateLogger);

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    /// <summary>Wraps the <see cref="ILoggerFactory"/> registered last.</summary>
    public static IServiceCollection Wrap(IServiceCollection services)
    {
        var registered = services.Last(d => d.ServiceType == typeof(ILoggerFactory));
        services.Remove(registered);
        return services.AddSingleton<ILoggerFactory>(provider => new CachingLoggerFactory(
            registered.ImplementationInstance as ILoggerFactory
            ?? registered.ImplementationFactory?.Invoke(provider) as ILoggerFactory
            ?? (ILoggerFactory)ActivatorUtilities.CreateInstance(provider, registered.ImplementationType!)));
    }

    // The wrapped factory was made here, not by the container: it is disposed (its sinks flushed) here.
    public void Dispose() => inner.Dispose();
}

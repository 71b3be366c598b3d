using Realtime.Relay.Inbox;

namespace Realtime.Relay.Tests.Support;

/// <summary>
/// A test's own temp directory of LiteDB inbox files (<see cref="LiteDbInboxFile"/>): each opened as the relay opens it,
/// and at the end every one still open stopped cleanly and closed, and the directory deleted.
/// </summary>
internal sealed class LiteDbInboxFiles(string prefix) : IAsyncDisposable
{
    private readonly List<LiteDbInboxFile> _opened = [];

    public string Dir { get; } = Path.Combine(Path.GetTempPath(), prefix + "-" + Guid.NewGuid().ToString("N"));

    /// <param name="dir">Another directory than <see cref="Dir"/> (e.g. a copy of it); <see cref="Dir"/> when null.</param>
    /// <param name="postponeFetchedWrites">As <see cref="LiteDbInboxFile.OpenAsync"/> takes it.</param>
    /// <param name="options">As <see cref="LiteDbInboxFile.OpenAsync"/> takes it.</param>
    public async Task<LiteDbInboxFile> OpenAsync(string? dir = null, TimeSpan? postponeFetchedWrites = null, InboxOptions? options = null)
    {
        var file = await LiteDbInboxFile.OpenAsync(Path.Combine(dir ?? Dir, "relay.db"), postponeFetchedWrites, options);
        _opened.Add(file);
        return file;
    }

    /// <summary>
    /// A crash: the files of <see cref="Dir"/> as they are now, copied while the store has them open and opened by a new
    /// store; no shutdown code ran.
    /// </summary>
    public async Task<LiteDbInboxFile> OpenCrashCopyAsync(InboxOptions? options = null)
    {
        var crashed = Path.Combine(Dir, "crashed-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(crashed);
        foreach (var path in Directory.GetFiles(Dir)) File.Copy(path, Path.Combine(crashed, Path.GetFileName(path)));
        return await OpenAsync(crashed, options: options);
    }

    /// <summary>Closes one before the end (a restart); it is not closed again.</summary>
    public async Task CloseAsync(LiteDbInboxFile file)
    {
        _opened.Remove(file);
        await file.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var file in _opened) await file.DisposeAsync();
        Directory.Delete(Dir, recursive: true);
    }
}

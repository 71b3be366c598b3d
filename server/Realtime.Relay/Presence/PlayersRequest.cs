using FluentValidation;
using Newtonsoft.Json.Linq;
using Realtime.Relay.OpenApi;

namespace Realtime.Relay.Presence;

/// <summary><c>PUT P/players</c>: the full roster of the client's game server (or Studio session).</summary>
[RequiredFields("players")]
public sealed record PlayersRequest(List<PlayerReport?>? Players);

/// <summary>One player as Roblox knows them: <c>Player.UserId</c>, <c>Player.Name</c>, <c>Player.DisplayName</c>.</summary>
/// <remarks>
/// <c>userId</c> is read as a raw token: bound straight to a number, JSON's <c>1.5</c> would
/// silently become user 2. Integers only (an integral float such as <c>5.0</c> counts: Luau numbers are doubles).
/// </remarks>
[RequiredFields("userId", "name")]
public sealed record PlayerReport(JToken? UserId, string? Name, string? DisplayName)
{
    /// <summary>The Roblox user id, when <see cref="UserId"/> is a positive integer.</summary>
    [Newtonsoft.Json.JsonIgnore]
    public long? Id => UserId?.Type switch
    {
        JTokenType.Integer when UserId is JValue { Value: long l } && l > 0 => l,
        JTokenType.Float when UserId.Value<double>() is var d && d >= 1 && d <= MaxExactDouble && Math.Floor(d) == d => (long)d,
        _ => null,
    };

    private const double MaxExactDouble = 9007199254740992; // 2^53
}

public sealed class PlayersRequestValidator : AbstractValidator<PlayersRequest>
{
    /// <summary>Roblox's largest server size is 200 players, so a larger roster cannot be one server's.</summary>
    public const int MaxPlayers = 200;

    /// <summary>
    /// Roblox usernames are 3–20 of A-Z a-z 0-9 _ and display names 3–20 characters; we accept
    /// up to 50 printable characters for both, so a rule change at Roblox does not break reporting.
    /// </summary>
    public const int MaxNameLength = 50;

    public PlayersRequestValidator()
    {
        RuleFor(r => r.Players).NotNull().WithMessage("players is required: the full roster, a list of {userId, name, displayName?} (may be empty).")
            .Must(p => p is null || p.Count <= MaxPlayers).WithMessage($"players holds at most {MaxPlayers} players (the largest Roblox server).")
            .Must(p => p is null || DuplicateIds(p).Count == 0)
            .WithMessage(r => $"players lists some userIds more than once: {string.Join(", ", DuplicateIds(r.Players!))}.");
        RuleForEach(r => r.Players).NotNull().WithMessage("A player cannot be null.").ChildRules(p =>
        {
            p.RuleFor(x => x!.UserId).Must(t => t is not null && t.Type != JTokenType.Null).WithMessage("userId is required (the Roblox user id).")
                .Must((x, _) => x!.Id is not null).WithMessage("userId must be a positive integer (a Roblox user id).");
            p.RuleFor(x => x!.Name).NotEmpty().WithMessage("name is required (the Roblox username).")
                .MaximumLength(MaxNameLength).WithMessage($"name is at most {MaxNameLength} characters.")
                .Must(Printable).WithMessage("name must be printable (no control characters).");
            p.RuleFor(x => x!.DisplayName)
                .MaximumLength(MaxNameLength).WithMessage($"displayName is at most {MaxNameLength} characters.")
                .Must(Printable).WithMessage("displayName must be printable (no control characters).")
                .When(x => x!.DisplayName is not null);
        });
    }

    private static List<long> DuplicateIds(List<PlayerReport?> players) =>
        players.Where(p => p?.Id is not null).GroupBy(p => p!.Id!.Value).Where(g => g.Count() > 1).Select(g => g.Key).ToList();

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    /// <summary>Not blank, no control/format/separator characters, no lone surrogates.</summary>
    private static bool Printable(string? s)
    {
        if (s is null) return true;
        if (s.Trim().Length == 0) return false;
        try { StrictUtf8.GetByteCount(s); }
        catch (System.Text.EncoderFallbackException) { return false; }
        return !s.Any(c => char.IsControl(c) || char.GetUnicodeCategory(c) is
            System.Globalization.UnicodeCategory.Format or System.Globalization.UnicodeCategory.LineSeparator
            or System.Globalization.UnicodeCategory.ParagraphSeparator);
    }
}

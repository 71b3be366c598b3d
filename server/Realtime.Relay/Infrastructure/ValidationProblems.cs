using FluentValidation.Results;
using Microsoft.AspNetCore.Mvc;

namespace Realtime.Relay.Infrastructure;

public static class ValidationProblems
{
    /// <summary>Codes a rule may set (<c>WithErrorCode</c>) that are more telling than <c>invalid_request</c>.</summary>
    private static readonly HashSet<string> SpecificCodes = [ErrorCodes.InvalidName];

    /// <summary>A 400 problem listing each failing field and why; its code is a rule's specific one if any failed.</summary>
    public static ObjectResult ToProblem(this ValidationResult result, HttpContext http) =>
        Problems.Result(http, StatusCodes.Status400BadRequest,
            result.Errors.Select(e => e.ErrorCode).FirstOrDefault(SpecificCodes.Contains) ?? ErrorCodes.InvalidRequest,
            string.Join(" ", result.Errors.Select(e => e.ErrorMessage).Distinct()),
            result.Errors.GroupBy(e => e.PropertyName)
                .ToDictionary(g => g.Key, g => g.Select(e => e.ErrorMessage).ToArray()));
}

package dev.runway.cli.githubapp;

import picocli.CommandLine.Command;

/** {@code runway github-app ...}: the GitHub App Runway acts as. */
@Command(
    name = "github-app",
    mixinStandardHelpOptions = true,
    description = "Create the GitHub App Runway acts as.",
    subcommands = {CreateAppCommand.class})
public final class GitHubAppCommand {}

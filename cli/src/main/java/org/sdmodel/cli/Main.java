package org.sdmodel.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.sdmodel.webui.WebUiLayout;
import picocli.CommandLine;
import org.sdmodel.cli.CommandSpecs.Arg;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ScopeType;

/**
 * The {@code sdmodel} command. {@link #main} only exits with what {@link #run} returns, so every
 * command can be run and tested in-process. Exit codes are those of {@link ExitCode}.
 */
public final class Main implements Runnable {

    private final CommandSpec spec = CommandSpecs.command(this, "sdmodel",
            "Read, prune and install Stable Diffusion model files (PyTorch .ckpt/.pt/.pth/.bin and .safetensors).");

    private final Arg<Boolean> debug = CommandSpecs.flag(spec, OptionSpec.builder("--debug").scopeType(ScopeType.INHERIT)
            .description("Show stack traces of errors."));

    {
        spec.versionProvider(new Version());
        spec.usageMessage().footerHeading("%nExit codes:%n").footer(
            "  0  success",
            "  1  an input is missing, unreadable or not a valid model file",
            "  2  usage error, or an output exists and --force was not given",
            "  3  refused as unsafe (a dangerous pickle import), or scan found one",
            "  4  the output could not be written (no space, no permission)");
    }

    private WebUiLayout.Environment environment = WebUiLayout.Environment.current();

    /** The environment a command runs in (its web UI launch variables, {@code $HOME}). */
    static WebUiLayout.Environment environment(CommandLine.Model.CommandSpec command) {
        Object root = command.root().userObject();
        return root instanceof Main ? ((Main) root).environment : WebUiLayout.Environment.current();
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is needed");
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs sdmodel with standard output and error; returns the exit code. */
    public static int run(String... args) {
        PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new java.io.OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        return run(out, err, args);
    }

    /**
     * The subcommands' names, in the order help lists them. Only the one being run is built (see
     * {@link #command}), and built without reflection (see {@link CommandSpecs}).
     */
    private static final List<String> COMMANDS = List.of("inspect", "hash", "convert", "prune", "merge", "extract", "scan",
            "install-v2", "compress", "decompress", "help");

    /** A new command named {@code name}, for {@link CommandLine#addSubcommand(String, Object)}. */
    private static Object command(String name) {
        switch (name) {
            case "inspect": return new InspectCommand().spec;
            case "hash": return new HashCommand().spec;
            case "convert": return new ConvertCommand().spec;
            case "prune": return new PruneCommand().spec;
            case "merge": return new MergeCommand().spec;
            case "extract": return new ExtractCommand().spec;
            case "scan": return new ScanCommand().spec;
            case "install-v2": return new InstallV2Command().spec;
            case "compress": return new CompressCommand().spec;
            case "decompress": return new DecompressCommand().spec;
            case "help": return CommandLine.HelpCommand.class; // picocli's own, read from its annotations
            default: throw new IllegalArgumentException(name);
        }
    }

    /** Runs sdmodel writing to the given streams; returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return run(out, err, WebUiLayout.Environment.current(), args);
    }

    /**
     * Runs sdmodel writing to the given streams, with the given environment (the web UI's launch
     * variables, {@code $HOME}); returns the exit code.
     */
    static int run(PrintWriter rawOut, PrintWriter rawErr, WebUiLayout.Environment environment, String... args) {
        Trace.mark("main");
        // whatever is printed first ends the line of a progress bar on the terminal
        PrintWriter out = ProgressBar.endingLines(rawOut);
        PrintWriter err = ProgressBar.endingLines(rawErr);
        Main main = new Main();
        main.environment = environment;
        CommandLine cl = new CommandLine(main.spec);
        // Settings below reach the subcommands added before them, so add these first.
        String named = commandName(args);
        for (String name : COMMANDS) {
            // "help", no command, an unknown one or an @argument file: all, for listings and suggestions
            if (named == null || named.equals("help") || !COMMANDS.contains(named) || named.equals(name)) {
                cl.addSubcommand(name, command(name));
            }
        }
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        for (CommandLine sub : cl.getSubcommands().values()) {
            sub.getCommandSpec().versionProvider(new Version()); // "sdmodel prune --version" too
        }
        // classes, not lambdas: a lambda implementing one of picocli's interfaces (Java 5 class
        // files) keeps that interface out of the class-data-sharing archive, and itself too
        cl.setParameterExceptionHandler(new UsageErrors(cl));
        cl.setExecutionExceptionHandler(new Failed(main.debug));
        if (Trace.ON) {
            cl.setExecutionStrategy(new TracedRun());
        }
        try {
            int code = cl.execute(args);
            return code;
        } finally {
            out.flush();
            err.flush();
            Trace.print(rawErr);
        }
    }

    /** True when {@code --debug} was given (it is inherited: before or after the command's name). */
    static boolean debug(CommandLine.Model.CommandSpec spec) {
        return spec.root().userObject() instanceof Main main && main.debug.get();
    }

    /** A usage error: one line saying what is wrong (an unknown command named with its nearest), one saying where help is. */
    private static final class UsageErrors implements CommandLine.IParameterExceptionHandler {
        private final CommandLine root;

        UsageErrors(CommandLine root) {
            this.root = root;
        }

        @Override
        public int handleParseException(CommandLine.ParameterException ex, String[] args) {
            CommandLine cmd = ex.getCommandLine();
            String unknown = cmd == root ? unknownCommand(ex) : null;
            cmd.getErr().println("sdmodel: " + (unknown != null ? unknown : ex.getMessage()));
            cmd.getErr().println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
            return ExitCode.USAGE;
        }
    }

    /** A command failed: one line saying why, the exit code of its kind, the stack trace with --debug. */
    private static final class Failed implements CommandLine.IExecutionExceptionHandler {
        private final Arg<Boolean> debug;

        Failed(Arg<Boolean> debug) {
            this.debug = debug;
        }

        @Override
        public int handleExecutionException(Exception ex, CommandLine cmd, CommandLine.ParseResult parseResult) {
            int code;
            String message;
            if (ex instanceof CliException) {
                code = ((CliException) ex).exitCode();
                message = ex.getMessage();
            } else {
                code = ExitCode.INVALID_INPUT;
                message = Failures.describe(ex);
            }
            cmd.getErr().println("sdmodel: " + message);
            if (debug.get()) {
                ex.printStackTrace(cmd.getErr());
            }
            cmd.getErr().flush();
            return code;
        }
    }

    /** picocli's own way to run the command, with the trace's mark when parsing is done. */
    private static final class TracedRun implements CommandLine.IExecutionStrategy {
        @Override
        public int execute(CommandLine.ParseResult parsed) {
            Trace.mark("parsed");
            return new CommandLine.RunLast().execute(parsed);
        }
    }

    /**
     * "unknown command 'prnue'; did you mean 'prune'?" when the first word is no command, else
     * null (picocli's "Unmatched arguments from index 0" names no command and suggests nothing).
     */
    private static String unknownCommand(CommandLine.ParameterException ex) {
        if (!(ex instanceof CommandLine.UnmatchedArgumentException unmatched) || unmatched.getUnmatched().isEmpty()) {
            return null;
        }
        String typed = unmatched.getUnmatched().get(0);
        if (typed.startsWith("-")) {
            return null;
        }
        String nearest = null;
        int best = Integer.MAX_VALUE;
        for (String name : COMMANDS) {
            int d = name.startsWith(typed) && typed.length() >= 2 ? 0 : editDistance(typed, name);
            if (d < best) {
                best = d;
                nearest = name;
            }
        }
        String message = "unknown command '" + typed + "'";
        if (nearest != null && best <= Math.max(1, Math.min(2, typed.length() / 3))) {
            return message + "; did you mean '" + nearest + "'?";
        }
        return message + "; the commands are " + String.join(", ", COMMANDS);
    }

    /** Edits (insert, delete, replace, swap two neighbours) that turn {@code a} into {@code b}. */
    static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    /** The first argument that is not an option: the command's name if it is one. */
    private static String commandName(String[] args) {
        for (String a : args) {
            if (!a.startsWith("-")) {
                return a; // sdmodel's own options (--debug, --help, --version) take no value
            }
        }
        return null;
    }

    /**
     * The version the build wrote into {@code version.properties} (the project's version, also
     * in the jar's manifest as {@code Implementation-Version}); in-process and from the jar alike.
     */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws java.io.IOException {
            java.util.Properties p = new java.util.Properties();
            try (java.io.InputStream in = Main.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            String v = p.getProperty("version");
            if (v == null || v.startsWith("${")) {
                v = Main.class.getPackage().getImplementationVersion();
            }
            return new String[] {"sdmodel " + (v == null ? "(version unknown: built without Maven)" : v)};
        }
    }
}

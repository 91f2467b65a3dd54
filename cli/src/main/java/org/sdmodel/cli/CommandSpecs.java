package org.sdmodel.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Declares the commands and their options with picocli's programmatic API, not its annotations.
 * Why: picocli reads annotations by reflection, and on JDK 17 the first use of each annotation
 * type generates a proxy class at run time (eight in every run: {@code @Command}, {@code @Option},
 * {@code @Parameters}, {@code @Mixin}, {@code @Spec}, and the JDK's own {@code @Retention},
 * {@code @Deprecated} and {@code @IntrinsicCandidate} met on the way), which no class-data sharing
 * archive can hold: picocli's part of a prune's start-up went from about 105 to 50 ms on the
 * 2-core CI machine. A command keeps an {@link Arg} per option in a field, declared in the order
 * the options were written, and reads them when it runs; picocli's help, parsing and errors are
 * the same either way (the help and error output of every command was compared before and after).
 */
final class CommandSpecs {
    private CommandSpecs() {
    }

    /**
     * A command named {@code name} that runs {@code command} (a {@code Runnable} or
     * {@code Callable}), with {@code --help} and {@code --version}.
     */
    static CommandSpec command(Object command, String name, String... description) {
        CommandSpec spec = CommandSpec.wrapWithoutInspection(command);
        spec.name(name);
        spec.usageMessage().description(description);
        // what mixinStandardHelpOptions adds, which picocli builds from an annotated class
        spec.addOption(flagBuilder(OptionSpec.builder("-h", "--help")).usageHelp(true)
                .description("Show this help message and exit.").build());
        spec.addOption(flagBuilder(OptionSpec.builder("-V", "--version")).versionHelp(true)
                .description("Print version information and exit.").build());
        return spec;
    }

    /** The value of one option or parameter, as the last parse left it. */
    static final class Arg<T> {
        private final ArgSpec spec;

        private Arg(ArgSpec spec) {
            this.spec = spec;
        }

        T get() {
            return spec.getValue();
        }

        OptionSpec option() {
            return (OptionSpec) spec;
        }
    }

    /** Adds an option that takes a value of {@code type}. */
    static <T> Arg<T> option(CommandSpec command, Class<T> type, OptionSpec.Builder option) {
        OptionSpec built = option.type(type).build();
        command.addOption(built);
        return new Arg<>(built);
    }

    /** Adds an option that takes no value: false unless given. */
    static Arg<Boolean> flag(CommandSpec command, OptionSpec.Builder option) {
        return option(command, boolean.class, flagBuilder(option));
    }

    /** {@code option} as a flag (for an argument group, which adds its options itself). */
    static OptionSpec.Builder flagBuilder(OptionSpec.Builder option) {
        return option.type(boolean.class).initialValue(false);
    }

    /** Adds one positional parameter of {@code type}. */
    static <T> Arg<T> parameter(CommandSpec command, Class<T> type, PositionalParamSpec.Builder parameter) {
        return new Arg<>(addPositional(command, parameter.type(type)));
    }

    /** Adds positional parameters of {@code type}, gathered in a list (empty when none are given). */
    static <T> Arg<List<T>> parameters(CommandSpec command, Class<T> type, PositionalParamSpec.Builder parameters) {
        return new Arg<>(addPositional(command, parameters.type(List.class).auxiliaryTypes(type).initialValue(new ArrayList<T>())));
    }

    /**
     * Adds a positional parameter, required when its arity asks for at least one value: picocli
     * derives that from the arity for annotated fields, not for a programmatic parameter.
     */
    private static PositionalParamSpec addPositional(CommandSpec command, PositionalParamSpec.Builder parameter) {
        PositionalParamSpec built = parameter.build();
        if (built.arity().min() > 0 && !built.required()) {
            built = built.toBuilder().required(true).build();
        }
        command.addPositional(built);
        return built;
    }

    /** Adds a repeatable option of {@code type}, gathered in a list (empty when not given). */
    static <T> Arg<List<T>> repeated(CommandSpec command, Class<T> type, OptionSpec.Builder option) {
        OptionSpec built = option.type(List.class).auxiliaryTypes(type).initialValue(new ArrayList<T>()).build();
        command.addOption(built);
        return new Arg<>(built);
    }

    /**
     * An argument of an option group, to read after the group was added. A flag of a group that
     * was not given reads null, not false.
     */
    static <T> Arg<T> arg(OptionSpec option) {
        return new Arg<>(option);
    }
}

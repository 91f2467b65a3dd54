package org.sdmodel.cli;

/** Entry point placeholder. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        return 0;
    }
}

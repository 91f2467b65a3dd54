package org.sdmodel.webui;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The folder flags in the web UI's arguments, read as its {@code argparse} parsers read them
 * ({@code modules/paths_internal.py}, {@code modules/cmd_args.py}, the Lora extension's
 * {@code preload.py}): {@code --flag value} or {@code --flag=value}; the last one wins; an
 * abbreviation counts when it starts exactly one option ({@code --lyco-dir} is
 * {@code --lyco-dir-backcompat}, which the option's own help suggests); a flag followed by another
 * option has no value, and the web UI refuses to start.
 */
final class LaunchFlags {
    static final String DATA_DIR = "--data-dir";
    static final String MODELS_DIR = "--models-dir";
    static final String CKPT_DIR = "--ckpt-dir";
    static final String VAE_DIR = "--vae-dir";
    static final String LORA_DIR = "--lora-dir";
    static final String LYCO_DIR = "--lyco-dir-backcompat";
    static final String EMBEDDINGS_DIR = "--embeddings-dir";
    static final String HYPERNETWORK_DIR = "--hypernetwork-dir";

    static final List<String> FOLDER_FLAGS = List.of(DATA_DIR, MODELS_DIR, CKPT_DIR, VAE_DIR, LORA_DIR, LYCO_DIR,
            EMBEDDINGS_DIR, HYPERNETWORK_DIR);

    /**
     * The web UI's other long options (cmd_args.py of 1.x and the built-in extensions' preload.py
     * files), for telling an abbreviation of a folder flag from an ambiguous one.
     */
    private static final List<String> OTHER_OPTIONS = Arrays.asList((
            "--update-all-extensions --skip-python-version-check --skip-torch-cuda-test --reinstall-xformers"
            + " --reinstall-torch --update-check --test-server --log-startup --skip-prepare-environment --skip-install"
            + " --dump-sysinfo --loglevel --do-not-download-clip --config --ckpt --gfpgan-dir --gfpgan-model --no-half"
            + " --no-half-vae --no-progressbar-hiding --max-batch-count --textual-inversion-templates-dir"
            + " --localizations-dir --allow-code --medvram --medvram-sdxl --lowvram --lowram --always-batch-cond-uncond"
            + " --unload-gfpgan --precision --upcast-sampling --share --ngrok --ngrok-region --ngrok-options"
            + " --enable-insecure-extension-access --codeformer-models-path --gfpgan-models-path --esrgan-models-path"
            + " --bsrgan-models-path --realesrgan-models-path --dat-models-path --clip-models-path --xformers"
            + " --force-enable-xformers --xformers-flash-attention --deepdanbooru --opt-split-attention"
            + " --opt-sub-quad-attention --sub-quad-q-chunk-size --sub-quad-kv-chunk-size --sub-quad-chunk-threshold"
            + " --opt-split-attention-invokeai --opt-split-attention-v1 --opt-sdp-attention --opt-sdp-no-mem-attention"
            + " --disable-opt-split-attention --disable-nan-check --use-cpu --use-ipex --disable-model-loading-ram-optimization"
            + " --listen --port --show-negative-prompt --ui-config-file --hide-ui-dir-config --freeze-settings"
            + " --ui-settings-file --gradio-debug --gradio-auth --gradio-auth-path --gradio-img2img-tool"
            + " --gradio-inpaint-tool --gradio-allowed-path --opt-channelslast --styles-file --autolaunch --theme"
            + " --use-textbox-seed --disable-console-progressbars --enable-console-prompts --vae-path"
            + " --disable-safe-unpickle --api --api-auth --api-log --nowebui --ui-debug-mode --device-id --administrator"
            + " --cors-allow-origins --cors-allow-origins-regex --tls-keyfile --tls-certfile --disable-tls-verify"
            + " --server-name --gradio-queue --no-gradio-queue --skip-version-check --no-hashing --no-download-sd-model"
            + " --subpath --add-stop-route --api-server-stop --timeout-keep-alive --disable-all-extensions"
            + " --disable-extra-extensions --skip-load-model-at-start --unix-filenames-sanitization"
            + " --filenames-max-length --no-prompt-history --ldsr-models-path --scunet-models-path --swinir-models-path")
            .split(" "));

    private static final Pattern SHOWN = Pattern.compile(
            "--(data-dir|models-dir|ckpt-dir|vae-dir|lora-dir|lyco-dir(?:-backcompat)?|embeddings-dir|hypernetwork-dir)\\b");

    /** A folder flag's value, and the argument's position (for the report). */
    record Setting(String flag, String value, String written) {
    }

    final Map<String, Setting> settings = new LinkedHashMap<>();
    final List<String> problems = new ArrayList<>();
    /** Flags the problems concern: their folders are unknown. */
    final Set<String> troubled = new TreeSet<>();

    private LaunchFlags() {
    }

    static LaunchFlags parse(List<String> args) {
        LaunchFlags f = new LaunchFlags();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--")) {
                break; // everything after is positional
            }
            if (!arg.startsWith("--") || arg.contains(" ") && !arg.contains("=")) {
                continue;
            }
            String option = arg;
            String explicit = null;
            int eq = arg.indexOf('=');
            if (eq > 0) {
                option = arg.substring(0, eq);
                explicit = arg.substring(eq + 1);
            }
            String flag = resolve(option, f);
            if (flag == null) {
                continue;
            }
            String value = explicit;
            if (value == null) {
                String next = i + 1 < args.size() ? args.get(i + 1) : null;
                if (next == null || isOption(next)) {
                    f.problems.add(written(option, flag) + " has no folder after it (the web UI stops: \"expected one argument\")");
                    f.troubled.add(flag);
                    continue;
                }
                value = next;
                i++;
            }
            f.settings.put(flag, new Setting(flag, value, option));
        }
        return f;
    }

    private static String written(String option, String flag) {
        return option.equals(flag) ? flag : option + " (" + flag + ")";
    }

    /** The folder flag an option string means, or null for any other option; ambiguity is a problem. */
    private static String resolve(String option, LaunchFlags f) {
        if (FOLDER_FLAGS.contains(option)) {
            return option;
        }
        if (OTHER_OPTIONS.contains(option)) {
            return null;
        }
        List<String> matches = new ArrayList<>();
        for (String o : FOLDER_FLAGS) {
            if (o.startsWith(option)) {
                matches.add(o);
            }
        }
        if (matches.isEmpty()) {
            return null;
        }
        for (String o : OTHER_OPTIONS) {
            if (o.startsWith(option)) {
                matches.add(o);
            }
        }
        if (matches.size() == 1) {
            return matches.get(0);
        }
        f.problems.add(option + " is ambiguous: it could be " + String.join(", ", matches)
                + " (the web UI stops: \"ambiguous option\")");
        for (String m : matches) {
            if (FOLDER_FLAGS.contains(m)) {
                f.troubled.add(m);
            }
        }
        return null;
    }

    /**
     * Whether argparse takes {@code arg} for an option rather than a value ({@code _parse_optional}):
     * anything starting with {@code -} that names or starts an option, else anything starting with
     * {@code -} but a negative number or a string with a space in it.
     */
    private static boolean isOption(String arg) {
        if (arg.isEmpty() || arg.charAt(0) != '-' || arg.equals("-")) {
            return false;
        }
        int eq = arg.indexOf('=');
        String prefix = arg.startsWith("--") && eq > 0 ? arg.substring(0, eq) : arg;
        for (List<String> options : List.of(FOLDER_FLAGS, OTHER_OPTIONS)) {
            for (String o : options) {
                if (o.startsWith(prefix)) {
                    return true;
                }
            }
        }
        if (arg.matches("-\\d+|-\\d*\\.\\d+")) {
            return false; // a negative number (no option of the web UI looks like one)
        }
        return !arg.contains(" ");
    }

    /** The folder flags a piece of a launch file shows (written out in full, or --lyco-dir). */
    static Set<String> folderFlagsShown(String text) {
        Set<String> shown = new LinkedHashSet<>();
        Matcher m = SHOWN.matcher(text);
        while (m.find()) {
            String flag = m.group();
            shown.add(flag.equals("--lyco-dir") ? LYCO_DIR : flag);
        }
        return shown;
    }

    /** Whether a piece of a launch file names one of the variables that decide folders. */
    static boolean mentionsLaunchVariable(String text) {
        return text.contains("COMMANDLINE_ARGS") || text.contains("SD_WEBUI_CACHE");
    }
}

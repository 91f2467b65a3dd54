package org.sdmodel.webui;

import java.io.File;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code webui-user.bat} does to the environment before {@code call webui.bat}, for the
 * {@code set} lines such files hold, as cmd.exe runs them: {@code set NAME=value} takes the rest of
 * the line, quotes included (the web UI's {@code shlex.split} deals with them later);
 * {@code set "NAME=value"} takes what is between the quotes; an empty value removes the variable
 * (the stock file's {@code set COMMANDLINE_ARGS=} clears any inherited value); {@code %NAME%} expands
 * (names ignore case), {@code %~dp0} is the file's folder; {@code ^} escapes and an unquoted
 * {@code &}, {@code |}, {@code <} or {@code >} ends the command. {@code rem} and {@code ::} lines are
 * comments. Lines after the one that starts the web UI do not matter and are not read.
 *
 * <p>Lines it cannot evaluate ({@code if ... set}, {@code set /a}, {@code %1}, {@code !NAME!} with
 * delayed expansion) are reported with their number when they touch a variable that decides folders.
 */
final class BatchScript {
    private static final Pattern SET = Pattern.compile("(?i)^set(?=[\\s\"/])\\s*");
    private static final Pattern STARTS_WEBUI = Pattern.compile("(?i)^(call\\s+)?\"?(\\.\\\\)?webui(\\.bat)?\"?(\\s|$)");

    private BatchScript() {
    }

    static void run(Path file, String text, LaunchVariables vars) {
        Path folder = file.toAbsolutePath().getParent();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int lineNo = i + 1;
            String s = lines[i].stripLeading();
            while (s.startsWith("@")) {
                s = s.substring(1).stripLeading();
            }
            if (s.isEmpty() || s.startsWith("::") || s.matches("(?i)^rem(\\s.*)?$")) {
                continue;
            }
            if (STARTS_WEBUI.matcher(s).find()) {
                return; // the web UI starts here; what follows runs after it exits
            }
            Matcher set = SET.matcher(s);
            if (!set.find()) {
                if (LaunchFlags.mentionsLaunchVariable(s)) {
                    vars.problems.add(problem(file, lineNo, "sdmodel reads only plain 'set NAME=value' lines; this one"
                            + " (" + abbreviate(s) + ") may change COMMANDLINE_ARGS", s));
                }
                continue;
            }
            String rest = s.substring(set.end());
            if (rest.startsWith("/")) {
                if (LaunchFlags.mentionsLaunchVariable(rest)) {
                    vars.problems.add(problem(file, lineNo, "set " + rest.split("\\s", 2)[0]
                            + " is not evaluated by sdmodel", s));
                }
                continue;
            }
            String assignment;
            if (rest.startsWith("\"")) {
                int close = rest.lastIndexOf('"');
                assignment = close > 0 ? rest.substring(1, close) : rest.substring(1);
            } else {
                assignment = cutAtOperator(rest);
            }
            int eq = assignment.indexOf('=');
            if (eq <= 0) {
                continue; // "set" alone lists variables; "set X" shows those starting with X
            }
            String name = assignment.substring(0, eq);
            LaunchProblem[] trouble = new LaunchProblem[1];
            String expanded = expand(assignment.substring(eq + 1), folder, vars, file, lineNo, s, trouble);
            if (!name.equals(name.strip()) && LaunchFlags.mentionsLaunchVariable(name)) {
                vars.problems.add(problem(file, lineNo, "sets '" + name + "' (with a space before '='), a variable"
                        + " the web UI does not read; write set " + name.strip() + "=...", s));
            }
            if (expanded.isEmpty()) {
                vars.unset(name);
            } else {
                vars.set(name, expanded, new LaunchVariables.Origin(file, lineNo), true);
            }
            if (trouble[0] != null) {
                vars.markUncertain(name, trouble[0]);
            }
        }
    }

    /** The command up to an unquoted {@code & | < >}, with {@code ^} escapes removed outside quotes. */
    private static String cutAtOperator(String s) {
        StringBuilder b = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (!quoted && c == '^' && i + 1 < s.length()) {
                b.append(s.charAt(++i));
                continue;
            } else if (!quoted && "&|<>".indexOf(c) >= 0) {
                // "set X=a & echo": the value is "a " (cmd keeps the space before &)
                break;
            }
            b.append(c);
        }
        return b.toString();
    }

    private static String expand(String value, Path folder, LaunchVariables vars, Path file, int lineNo, String line,
            LaunchProblem[] trouble) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c != '%') {
                b.append(c);
                continue;
            }
            if (value.startsWith("%%", i)) {
                b.append('%');
                i++;
            } else if (value.regionMatches(true, i, "%~dp0", 0, 5)) {
                b.append(folder).append(File.separator);
                i += 4;
            } else if (i + 1 < value.length() && (Character.isDigit(value.charAt(i + 1)) || value.charAt(i + 1) == '*'
                    || value.charAt(i + 1) == '~')) {
                trouble[0] = problem(file, lineNo, "uses " + value.substring(i, Math.min(value.length(), i + 4))
                        + " (the arguments given to webui-user.bat), which sdmodel cannot know", line);
                i += value.charAt(i + 1) == '~' ? 3 : 1;
            } else {
                int close = value.indexOf('%', i + 1);
                if (close < 0) {
                    b.append(c);
                    continue;
                }
                String name = value.substring(i + 1, close);
                String v = vars.get(name);
                if (v == null && !name.isEmpty()) {
                    trouble[0] = problem(file, lineNo, "uses %" + name + "%, which is not set here", line);
                }
                b.append(v == null ? "" : v);
                i = close;
            }
        }
        return b.toString();
    }

    private static String abbreviate(String s) {
        return s.length() > 50 ? s.substring(0, 47) + "..." : s;
    }

    private static LaunchProblem problem(Path file, int line, String message, String raw) {
        return new LaunchProblem(file, line, message, LaunchFlags.folderFlagsShown(raw));
    }
}

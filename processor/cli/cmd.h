/*
 * The `xsell` subcommands. Each returns the process exit status: 0 success, 1 runtime failure,
 * 2 usage or configuration error. Data goes to stdout, diagnostics and progress to stderr.
 */
#ifndef XS_CMD_H
#define XS_CMD_H

int xs_cmd_replay(int argc, char **argv);
int xs_cmd_pairs(int argc, char **argv);
int xs_cmd_generate(int argc, char **argv);
int xs_cmd_config(int argc, char **argv);
int xs_cmd_run(int argc, char **argv);
int xs_cmd_demo(int argc, char **argv);
int xs_cmd_produce(int argc, char **argv);
int xs_cmd_mock_broker(int argc, char **argv);
int xs_cmd_evaluate(int argc, char **argv);
int xs_cmd_bench(int argc, char **argv);

#endif

#!/usr/bin/env node
/** rump_server(1): a rump kernel server with only the components given by -l. */
import { serverMain } from './server_main.js';

void serverMain('rump_server', process.argv.slice(2));

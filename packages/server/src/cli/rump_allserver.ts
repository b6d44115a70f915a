#!/usr/bin/env node
/** rump_allserver(1): rump_server with every component of rumpts linked. */
import { serverMain } from './server_main.js';

void serverMain('rump_allserver', process.argv.slice(2));

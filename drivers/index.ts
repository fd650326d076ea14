// The driver entry point: importing it registers the built-in drivers.
import './local'

export { loadDriver, openPool, registerDriver } from './registry'
